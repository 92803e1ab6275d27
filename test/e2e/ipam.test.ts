/**
 * IPAM on real runit test hosts, through the real CLI, one site shared by the whole file: a VIP and
 * per-node addresses allocated and brought up on the nodes' eth0; an address up on a node's interface that
 * underlay did not put there, and one answering ARP from another namespace on the same bridge, are skipped
 * with a conflict line; a SIGKILL between allocating an address and bringing it up loses and duplicates
 * nothing; `underlay status` shows the pool's use; and with the state directory deleted, the next apply
 * re-adopts every address from the nodes, renumbering nobody (and the export imports cleanly afterwards).
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createE2ESite, underlayBin, type E2ESite } from './support/e2e-site.js';
import { SqliteStore, stateDatabaseFile } from '../../controller/store/sqlite-store.js';
import { steppingClock } from '../../controller/clock.js';

const exec = promisify(execFile);
let site: E2ESite | undefined;
let scratch = '';
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};

// Apart from the test hosts' 198.18.<slot>.0/24 subnets; on their eth0, inside the namespaces the harness made.
const POOL = `apiVersion: underlay.dev/v1alpha1
kind: IPPool
metadata:
  name: e2e
spec:
  cidr: 198.19.250.0/24
  range: {start: 198.19.250.10, end: 198.19.250.30}
`;
const CLUSTER = `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: etcd
spec:
  nodes:
    roles: [etcd]
  steps:
    - name: base
      module: base
      with:
        motd: {param: motd}
  addresses:
    - {name: vip, pool: e2e, holder: {names: [node1]}, interface: eth0}
    - {name: data, pool: e2e, perNode: {}, interface: eth0}
`;
const FOREIGN = `uli${process.pid % 100000}`;

/** Another namespace on the hosts' bridge, holding `address`: something on the network underlay does not know. */
async function foreignHostOnBridge(address: string): Promise<void> {
  const net = s().hosts.hosts[0]!.address.split('.').slice(0, 3).join('.');
  const { stdout } = await exec('ip', ['-o', '-4', 'addr', 'show']);
  const bridge = stdout.split('\n').find((l) => l.includes(` ${net}.1/24 `))?.split(/\s+/)[1];
  if (!bridge) throw new Error(`no bridge holds ${net}.1`);
  const steps = [
    ['netns', 'add', FOREIGN],
    ['link', 'add', `${FOREIGN}a`, 'type', 'veth', 'peer', 'name', `${FOREIGN}b`],
    ['link', 'set', `${FOREIGN}b`, 'netns', FOREIGN],
    ['link', 'set', `${FOREIGN}a`, 'master', bridge, 'up'],
    ['-n', FOREIGN, 'addr', 'add', `${address}/24`, 'dev', `${FOREIGN}b`],
    ['-n', FOREIGN, 'link', 'set', `${FOREIGN}b`, 'up'],
  ];
  for (const step of steps) await exec('ip', step);
}

test.before(async () => {
  site = await createE2ESite({ count: 2 });
  scratch = await mkdtemp(path.join(tmpdir(), 'underlay-ipam-'));
  await site.commit('two nodes, the base step, a VIP and per-node addresses', async (dir) => {
    await rm(path.join(dir, 'nodes/node3.yaml'));
    await writeFile(path.join(dir, 'cluster.yaml'), CLUSTER);
    await writeFile(path.join(dir, 'services/e2e-pool.yaml'), POOL);
  });
  await foreignHostOnBridge('198.19.250.11');
  const r = await site.hosts.run('node2', 'ip addr add 198.19.250.10/24 dev eth0');
  if (r.code !== 0) throw new Error(r.stderr);
});

test.after.always(async () => {
  await exec('ip', ['link', 'del', `${FOREIGN}a`]).catch(() => undefined);
  await exec('ip', ['netns', 'del', FOREIGN]).catch(() => undefined);
  await site?.teardown();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The pool's addresses up on a node's eth0, sorted. */
async function upOn(node: string): Promise<string[]> {
  const r = await s().hosts.run(node, 'ip -o -4 addr show dev eth0');
  return [...r.stdout.matchAll(/inet (198\.19\.250\.\d+\/24)/g)].map((m) => m[1]!).sort();
}

async function ledger(): Promise<Record<string, string>> {
  const store = SqliteStore.open({ file: stateDatabaseFile(s().stateDir), site: 'lab', clock: steppingClock() });
  try {
    return Object.fromEntries((await store.ledger().poolAllocations()).map((a) => [a.name, a.address]));
  } finally {
    await store.close();
  }
}

async function applyOk(t: ExecutionContext, extra: string[] = []): Promise<string> {
  const r = await s().underlay(['apply', '--no-color', ...extra]);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Runs apply until it stands at the fault point (SIGKILLed there), as test/e2e/crash-safety.test.ts does. */
async function applyKilledAt(point: string): Promise<void> {
  const marker = path.join(scratch, `marker-${Date.now()}`);
  const args = ['apply', '--repo', s().repoDir, '--state-dir', s().stateDir, '--secrets-dir', s().secretsDir, '--no-color', '--concurrency', '1'];
  const child = spawn(process.execPath, [underlayBin, ...args], { stdio: 'ignore', env: { ...process.env, UNDERLAY_FAULT_PAUSE: point, UNDERLAY_FAULT_MARKER: marker } });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  for (let i = 0; i < 1200 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGKILL');
  await exited;
  if (!existsSync(marker)) throw new Error(`apply did not reach ${point}`);
  if (!readFileSync(marker, 'utf8').startsWith('after ')) throw new Error(`apply stopped elsewhere: ${readFileSync(marker, 'utf8')}`);
}

test.serial('conflicts are skipped with a line saying why; the VIP and per-node addresses come up; a second apply changes nothing', async (t) => {
  const plan = await s().underlay(['plan', '--no-color']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stderr, /warning: spec\.cidr: IPPool "e2e": 198\.19\.250\.10 is in use outside underlay \(it is up on eth0 of node node2, and underlay did not put it there\): it is not handed out \[AddressConflict\]/);
  t.regex(plan.stderr, /warning: spec\.cidr: IPPool "e2e": 198\.19\.250\.11 is in use outside underlay \(answers ARP from node node\d on eth0 \([0-9a-f:]{17}\)\): it is not handed out \[AddressConflict\]/);
  t.regex(plan.stdout, /allocate 198\.19\.250\.12 from pool e2e/);

  await applyOk(t);
  t.deepEqual(await ledger(), { 'etcd.data.node1': '198.19.250.13', 'etcd.data.node2': '198.19.250.14', 'etcd.vip': '198.19.250.12' });
  t.deepEqual(await upOn('node1'), ['198.19.250.12/24', '198.19.250.13/24']);
  t.deepEqual(await upOn('node2'), ['198.19.250.10/24', '198.19.250.14/24'], 'the unmanaged address is left alone');
  await applyOk(t, ['--detailed-exitcode']);

  const status = JSON.parse((await s().underlay(['status', '--output', 'json'])).stdout) as { pools: unknown[] };
  t.deepEqual(status.pools, [{ pool: 'e2e', used: 3, released: 0 }]);
});

test.serial('a SIGKILL between allocating an address and bringing it up loses nothing and duplicates nothing', async (t) => {
  await s().commit('an API address on node2', (dir) => appendFile(path.join(dir, 'cluster.yaml'), '    - {name: api, pool: e2e, holder: {names: [node2]}, interface: eth0}\n'));
  await applyKilledAt('after:pool:e2e/ip:e2e/etcd.api');
  t.is((await ledger())['etcd.api'], '198.19.250.15', 'recorded before the kill');
  t.deepEqual(await upOn('node2'), ['198.19.250.10/24', '198.19.250.14/24'], 'not up yet');
  await applyOk(t);
  t.is((await ledger())['etcd.api'], '198.19.250.15', 'the same address after the rerun');
  t.is(Object.keys(await ledger()).length, 4);
  t.deepEqual(await upOn('node2'), ['198.19.250.10/24', '198.19.250.14/24', '198.19.250.15/24']);
  await applyOk(t, ['--detailed-exitcode']);
});

test.serial('with the state directory lost, the next apply re-adopts every address from the nodes; the export then imports cleanly', async (t) => {
  const exported = path.join(scratch, 'state.json');
  t.is((await s().underlay(['state', 'export', '--state-dir', s().stateDir, '--out', exported])).code, 0);
  const before = await ledger();
  await rm(s().stateDir, { recursive: true, force: true });
  const output = await applyOk(t);
  t.regex(output, /re-adopted/);
  t.deepEqual(await ledger(), before, 'nobody renumbered');
  t.deepEqual(await upOn('node1'), ['198.19.250.12/24', '198.19.250.13/24']);
  t.deepEqual(await upOn('node2'), ['198.19.250.10/24', '198.19.250.14/24', '198.19.250.15/24']);
  await applyOk(t, ['--detailed-exitcode']);
  const imported = await s().underlay(['state', 'import', exported, '--state-dir', s().stateDir]);
  t.is(imported.code, 0, imported.stderr);
  t.deepEqual(await ledger(), before);
});

test.serial('an address removed from Git is taken down and held in grace; back within it, it gets the same address', async (t) => {
  const cluster = path.join(s().repoDir, 'cluster.yaml');
  const withApi = readFileSync(cluster, 'utf8');
  await s().commit('no API address', () => writeFile(cluster, withApi.split('\n').filter((l) => !l.includes('name: api')).join('\n')));
  await applyOk(t);
  t.deepEqual(await upOn('node2'), ['198.19.250.10/24', '198.19.250.14/24'], 'taken down; the unmanaged one is still left alone');
  t.is((await ledger())['etcd.api'], undefined);
  const status = JSON.parse((await s().underlay(['status', '--output', 'json', '--repo', s().repoDir])).stdout) as { pools: unknown[] };
  t.deepEqual(status.pools, [
    { pool: 'e2e', used: 3, released: 1, heldInGrace: 1, free: 21 - 3 - 1 },
    { pool: 'lab-vips', used: 0, released: 0, heldInGrace: 0, free: 99 },
  ]);
  await s().commit('the API address again', () => writeFile(cluster, withApi));
  const plan = await s().underlay(['plan', '--no-color']);
  t.regex(plan.stdout, /allocate 198\.19\.250\.15 from pool e2e \(back: it held this address until /);
  await applyOk(t);
  t.is((await ledger())['etcd.api'], '198.19.250.15');
  t.deepEqual(await upOn('node2'), ['198.19.250.10/24', '198.19.250.14/24', '198.19.250.15/24']);
});
