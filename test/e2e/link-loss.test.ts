/**
 * A link that goes silent mid-apply (no reset, no close: the host-side veth of node2 taken down while a
 * long command runs there) fails node2 by the site's dead-peer rule, within a bound derived from the
 * configured keepalive, with a message that says what happened and nothing of the scripts underlay runs,
 * while the other nodes finish their work.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { poll, runOk } from '../hosts/exec.js';
import { readState } from '../hosts/state.js';
import { underlayBin, useE2ESite, type CliResult } from './support/e2e-site.js';
import { onHost } from './support/node-checks.js';

const s = useE2ESite({ count: 3 });

const KEEPALIVE_INTERVAL_S = 2;
const KEEPALIVE_COUNT_MAX = 2;

/** A site of one module: a command that marks its start, then sleeps; long on node2, short elsewhere. */
async function linkLossSite(repo: string): Promise<void> {
  for (const dir of ['cluster.yaml', 'modules', 'services', 'ca', 'templates']) await rm(path.join(repo, dir), { recursive: true, force: true });
  await mkdir(path.join(repo, 'modules'));
  await writeFile(
    path.join(repo, 'site.yaml'),
    `apiVersion: underlay.dev/v1alpha1
kind: Site
metadata: {name: lab}
spec:
  ssh: {user: root, port: 22, clientKeySecret: ssh-client-key, keepaliveIntervalSeconds: ${KEEPALIVE_INTERVAL_S}, keepaliveCountMax: ${KEEPALIVE_COUNT_MAX}}
  serviceManager: runit
`,
  );
  await writeFile(
    path.join(repo, 'modules', 'work.yaml'),
    `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata: {name: work}
spec:
  inputs:
    seconds: {type: integer}
  resources:
    - directory: {path: /var/lib/link}
    - command:
        name: work
        argv: [/bin/sh, -c, 'touch /var/lib/link/started && exec sleep "$1"', _, "{{ inputs.seconds }}"]
        creates: /var/lib/link/done
`,
  );
  await writeFile(
    path.join(repo, 'cluster.yaml'),
    `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata: {name: link}
spec:
  nodes: {}
  steps:
    - {name: short, module: work, nodes: {names: [node1, node3]}, with: {seconds: 8}}
    - {name: long, module: work, nodes: {names: [node2]}, with: {seconds: 300}}
`,
  );
}

/** The real CLI, with the time at which its output first matched `watch`. */
function applyWatching(watch: RegExp): { done: Promise<CliResult>; matchedAt: () => number | undefined } {
  const site = s();
  const child = spawn(process.execPath, [underlayBin, 'apply', '--no-color', '--repo', site.repoDir, '--state-dir', site.stateDir, '--secrets-dir', site.secretsDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let matchedAt: number | undefined;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (matchedAt === undefined && watch.test(stdout)) matchedAt = Date.now();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr });
    });
  });
  return { done, matchedAt: () => matchedAt };
}

test.serial('a link dropped mid-apply fails that node by the keepalive rule; the others finish', async (t) => {
  const site = s();
  await site.commit('one long command on node2, short ones elsewhere; a 2 s x 2 dead-peer rule', linkLossSite);
  const veth = readState(site.hosts.stateDir).nodes.find((n) => n.name === 'node2')!.veth;
  t.teardown(() => runOk(['ip', 'link', 'set', veth, 'up']).then(() => undefined));

  const failure = /failed\s+\S+ node2\/command:work: (.*)\n/;
  const apply = applyWatching(failure);
  await poll('the command to start on node2', 120_000, () => (existsSync(onHost(site.hosts, 'node2', '/var/lib/link/started')) ? true : undefined), 20);
  await runOk(['ip', 'link', 'set', veth, 'down']);
  const droppedAt = Date.now();
  const result = await apply.done;
  const failedAt = apply.matchedAt();
  const output = `${result.stdout}\n${result.stderr}`;

  t.is(result.code, 1, output);
  const noAnswer = KEEPALIVE_INTERVAL_S * KEEPALIVE_COUNT_MAX;
  t.is(failure.exec(result.stdout)?.[1], `connection lost to node2 (no answer for ${noAnswer} s) [ConnectionLost]`, output);
  t.regex(result.stdout, new RegExp(`failed: node2/command:work: connection lost to node2 \\(no answer for ${noAnswer} s\\) \\[ConnectionLost\\]\\n`));

  // The rule gives up (count + 1) intervals after the last answered probe; one interval more absorbs the
  // scheduling of two processes on a loaded machine. It must not fire before count intervals either.
  const elapsed = failedAt! - droppedAt;
  const intervalMs = KEEPALIVE_INTERVAL_S * 1000;
  t.log(`link down to node2 failed: ${elapsed} ms (keepalive ${KEEPALIVE_INTERVAL_S} s x ${KEEPALIVE_COUNT_MAX})`);
  t.true(elapsed >= intervalMs * KEEPALIVE_COUNT_MAX - 250, `failed ${elapsed} ms after the link went down`);
  t.true(elapsed < intervalMs * (KEEPALIVE_COUNT_MAX + 2), `failed ${elapsed} ms after the link went down`);

  for (const n of ['node1', 'node3']) {
    t.regex(result.stdout, new RegExp(`applied\\s+\\S+ ${n}/command:work\\b`), `${n} finished its command`);
    t.regex(result.stdout, new RegExp(`^${n}\\s+.*\\b0\\s+0$`, 'm'), `${n}: nothing failed or skipped`);
  }
});
