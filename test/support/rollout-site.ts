/**
 * The site of the 30-node rollout (test/e2e/rollout-30-nodes.test.ts, bench/rollout): one cluster of every
 * test host, `maxUnavailable: 10%`, each node's config file restarting its service. The module's health
 * gate `app-config` (a command on the node) fails on the node a revision names as broken, saying so, as an
 * app refusing a bad flag would; every start of the service leaves a line on its node, so restarts are
 * counted, not timed. (A crash-looping service instead fails its restart or passes the uptime check by
 * chance on a loaded machine: a declared gate says it every time.) Also the site of the drift corrections
 * through the rollout (test/e2e/controller-drift-rollout.test.ts): `maxUnavailable`, `drift.mode` and a note
 * file are options.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestHost } from '../hosts/harness.js';

const run = promisify(execFile);

/** The real git CLI (e2e-site.ts has the same, but loads ava, which a benchmark must not). */
async function git(repoDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repoDir, '-c', 'user.name=underlay e2e', '-c', 'user.email=e2e@underlay.invalid', ...args]);
  return stdout.trim();
}

export const ROLLOUT_CONFIG = '/etc/ro/app.conf';
export const ROLLOUT_STARTS = '/var/lib/ro/starts';
/**
 * An operator's local override the app also reads, which the site does not manage: the gate checks it too,
 * so a hand edit there breaks a node in a way a correction of the config file does not repair.
 */
export const ROLLOUT_LOCAL = '/etc/ro/local.conf';
/** A file that restarts nothing, in the module only when a site asks for it (`note`). */
export const ROLLOUT_NOTE = '/etc/ro/note';

const SITE = `apiVersion: underlay.dev/v1alpha1
kind: Site
metadata:
  name: ro
spec:
  ssh: {user: root, port: 22, clientKeySecret: ssh-client-key}
  serviceManager: runit
`;

interface ClusterOptions {
  deadline: string;
  maxUnavailable: string;
  /** The cluster's `drift.mode`; absent: the default (alert). */
  driftMode?: string;
}

const cluster = (version: string, broken: string, o: ClusterOptions, first: readonly string[]) => `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: app
spec:
  nodes: {roles: [app]}
  params: {version: "${version}", broken: "${broken}"}
  steps:
    - name: app
      module: app
      with: {version: {param: version}, broken: {param: broken}}
  rollout:
    maxUnavailable: ${o.maxUnavailable}
    failureBudget: 0${first.length > 0 ? `\n    order: {explicit: [${first.join(', ')}]}` : ''}
    progressDeadline: ${o.deadline}
${o.driftMode !== undefined ? `  drift: {mode: ${o.driftMode}}\n` : ''}`;

const moduleDoc = (note: string | undefined) => `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: app
spec:
  inputs:
    version: {type: string}
    broken: {type: string}
  resources:
    - directory: {path: /etc/ro}
    - file:
        path: ${ROLLOUT_CONFIG}
        content: "version {{ inputs.version }}\\n{% if inputs.broken == node.name %}flag --brokn\\n{% endif %}"
    - service:
        name: ro-app
        command: /bin/sh
        args: ["-c", "mkdir -p /var/lib/ro; echo \\"start $(head -1 ${ROLLOUT_CONFIG})\\" >> ${ROLLOUT_STARTS}; exec sleep infinity"]
        restartOnChangeOf: ["file:${ROLLOUT_CONFIG}"]
${note !== undefined ? `    - file: {path: ${ROLLOUT_NOTE}, content: "${note}\\n"}\n` : ''}  health:
    - name: app-config
      command: {argv: ["/bin/sh", "-c", "if cat ${ROLLOUT_CONFIG} ${ROLLOUT_LOCAL} 2>/dev/null | grep -q brokn; then echo 'ro-app: unknown flag --brokn'; exit 2; fi"]}
`;

const nodeDoc = (host: TestHost) => `apiVersion: underlay.dev/v1alpha1
kind: Node
metadata:
  name: ${host.name}
spec:
  address: ${host.address}
  roles: [app]
  ssh:
    hostKey: ${host.hostKey}
`;

export interface RolloutSite {
  repoDir: string;
  /** Commits the cluster at `version`, broken on the node named `broken`, rolling out `first` first; the commit id. */
  commit(message: string, version: string, broken?: string, first?: readonly string[]): Promise<string>;
}

export interface RolloutSiteOptions {
  /** The rollout's progressDeadline (default 3s). */
  deadline?: string;
  /** Default 10%. */
  maxUnavailable?: string;
  driftMode?: string;
  /** The content of ROLLOUT_NOTE; absent: no such file. */
  note?: string;
}

/** Writes the site for these hosts under `work` (site/, secrets/ with the client key) and commits version 1. */
export async function writeRolloutSite(work: string, hosts: { hosts: TestHost[]; clientKeyPath: string }, options: RolloutSiteOptions = {}): Promise<RolloutSite> {
  const clusterOptions: ClusterOptions = { deadline: options.deadline ?? '3s', maxUnavailable: options.maxUnavailable ?? '10%', ...(options.driftMode !== undefined ? { driftMode: options.driftMode } : {}) };
  const repoDir = path.join(work, 'site');
  await mkdir(path.join(repoDir, 'nodes'), { recursive: true });
  await mkdir(path.join(repoDir, 'modules'), { recursive: true });
  await mkdir(path.join(work, 'secrets'), { recursive: true, mode: 0o700 });
  await cp(hosts.clientKeyPath, path.join(work, 'secrets', 'ssh-client-key'));
  await writeFile(path.join(repoDir, 'site.yaml'), SITE);
  await writeFile(path.join(repoDir, 'modules', 'app.yaml'), moduleDoc(options.note));
  for (const host of hosts.hosts) await writeFile(path.join(repoDir, 'nodes', `${host.name}.yaml`), nodeDoc(host));
  await git(repoDir, 'init', '-q', '-b', 'main');
  const commit = async (message: string, version: string, broken = 'none', first: readonly string[] = []): Promise<string> => {
    await writeFile(path.join(repoDir, 'cluster.yaml'), cluster(version, broken, clusterOptions, first));
    await git(repoDir, 'add', '-A');
    await git(repoDir, 'commit', '-q', '-m', message);
    return git(repoDir, 'rev-parse', 'HEAD');
  };
  await commit('version 1', '1');
  return { repoDir, commit };
}
