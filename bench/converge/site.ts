/**
 * The two sides of the benchmark, generated from one description so they cannot drift apart: the underlay
 * site repository (a real Git repository made with the `git` CLI) and the Ansible inventory and known_hosts
 * for playbook.yml. Both template the same file, templates/bench.conf.j2, whose only non-node variable is
 * `file_id`: underlay's module gets it substituted per file (Liquid and Jinja agree on `{{ a.b }}`).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { pinTestHosts } from '../../scripts/pin-test-hosts.js';
import type { TestHost } from '../../test/hosts/harness.js';

const execFileAsync = promisify(execFile);
export const benchDir = import.meta.dirname;

export const FILE_IDS = Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(2, '0'));
export const SERVICES = [
  { name: 'bench-a', command: '/bin/sleep', args: ['infinity'], restartOnChangeOf: '/etc/bench/file01.conf' },
  { name: 'bench-b', command: '/bin/sleep', args: ['31536000'], restartOnChangeOf: '/etc/bench/file02.conf' },
];
/** Every path both tools must leave identical on a node. */
export const MANAGED_FILES = [...FILE_IDS.map((id) => `/etc/bench/file${id}.conf`), ...SERVICES.map((s) => `/etc/sv/${s.name}/run`)];

const API = 'underlay.dev/v1alpha1';
const rackOf = (index: number): string => `r${(index % 3) + 1}`;

async function git(repoDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-C', repoDir, '-c', 'user.name=underlay bench', '-c', 'user.email=bench@underlay.invalid', ...args]);
  return stdout.trim();
}

function moduleDoc(template: string): unknown {
  return {
    apiVersion: API,
    kind: 'Module',
    metadata: { name: 'bench' },
    spec: {
      resources: [
        { directory: { path: '/etc/bench', mode: '0755' } },
        ...FILE_IDS.map((id) => ({ file: { path: `/etc/bench/file${id}.conf`, mode: '0644', content: template.replaceAll('{{ file_id }}', id) } })),
        ...SERVICES.map((s) => ({ service: { name: s.name, command: s.command, args: s.args, restartOnChangeOf: [`file:${s.restartOnChangeOf}`] } })),
      ],
    },
  };
}

/** Writes the whole site for these hosts into a new Git repository and commits it. */
export async function writeSite(repoDir: string, hosts: readonly TestHost[]): Promise<void> {
  const template = await readFile(path.join(benchDir, 'templates', 'bench.conf.j2'), 'utf8');
  await mkdir(path.join(repoDir, 'nodes'), { recursive: true });
  await mkdir(path.join(repoDir, 'modules'), { recursive: true });
  const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0 });
  await writeFile(
    path.join(repoDir, 'site.yaml'),
    yaml({ apiVersion: API, kind: 'Site', metadata: { name: 'bench' }, spec: { ssh: { user: 'root', port: 22 }, serviceManager: 'runit' } }),
  );
  await writeFile(path.join(repoDir, 'modules', 'bench.yaml'), yaml(moduleDoc(template)));
  await writeFile(
    path.join(repoDir, 'cluster.yaml'),
    yaml({
      apiVersion: API,
      kind: 'Cluster',
      metadata: { name: 'bench' },
      spec: {
        nodes: { roles: ['bench'] },
        steps: [{ name: 'bench', module: 'bench' }],
        // Ansible's default: every host at once, a failed host does not stop the others.
        rollout: { batchSize: hosts.length, failureBudget: hosts.length },
      },
    }),
  );
  for (const [i, host] of hosts.entries()) {
    await writeFile(
      path.join(repoDir, 'nodes', `${host.name}.yaml`),
      yaml({
        apiVersion: API,
        kind: 'Node',
        metadata: { name: host.name },
        spec: { address: host.address, roles: ['bench'], ssh: { hostKey: host.hostKey }, facts: { rack: rackOf(i) } },
      }),
    );
  }
  await git(repoDir, 'init', '-q', '-b', 'main');
  await git(repoDir, 'add', '-A');
  await git(repoDir, 'commit', '-q', '-m', 'bench site');
}

/** After wipeHost: the nodes have new host keys; pin them the way an operator would and commit. */
export async function repinSite(repoDir: string, hosts: readonly TestHost[]): Promise<void> {
  await pinTestHosts([...hosts], repoDir);
  await git(repoDir, 'add', '-A');
  await git(repoDir, 'commit', '-q', '--allow-empty', '-m', 'repin wiped nodes');
}

/** Inventory and known_hosts for playbook.yml: the same addresses, facts and pinned host keys as the site. */
export async function writeAnsibleInventory(dir: string, hosts: readonly TestHost[], clientKeyPath: string): Promise<string> {
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, hosts.map((h) => `${h.address} ${h.hostKey}\n`).join(''));
  const inventory = {
    bench: {
      hosts: Object.fromEntries(
        hosts.map((h, i) => [h.name, { ansible_host: h.address, node: { name: h.name, address: h.address, facts: { rack: rackOf(i) } } }]),
      ),
      vars: {
        ansible_user: 'root',
        ansible_port: 22,
        ansible_ssh_private_key_file: clientKeyPath,
        ansible_ssh_common_args: `-F /dev/null -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHosts} -o GlobalKnownHostsFile=/dev/null`,
      },
    },
  };
  const file = path.join(dir, 'inventory.yml');
  await writeFile(file, stringify(inventory, { lineWidth: 0 }));
  return file;
}
