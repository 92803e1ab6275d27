import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InventorySchema } from '../controller/inventory/inventory.js';
import { observeSite } from '../controller/observe/observe-site.js';
import { SshTransport } from '../controller/transport/ssh-transport.js';
import type { NodeEndpoint } from '../controller/transport/transport.js';
import { createTestHosts, type TestHost, type TestHostCluster } from '../test/hosts/harness.js';
import { binaryFile, command, desired, directory, file, node, resource, service } from '../test/support/build-desired.js';
import { change } from '../test/support/fake-apply.js';
import { actionsOf, converge, ctxOf, failuresOf, observe, type HostNode } from '../test/support/converge-node.js';
import { serviceEffects } from './service/effects.js';
import { applyDirectory } from './directory/apply.js';
import type { DesiredFile } from './file/schema.js';
import { renderServiceDefinition } from './service/definition.js';
import { registry } from './registry.js';

let cluster: TestHostCluster | undefined;
let transport: SshTransport | undefined;

const hosts = (): TestHost[] => cluster?.hosts ?? [];
const testNode = (i: number): HostNode => {
  const h = hosts()[i];
  if (!h || !transport) throw new Error('test hosts did not come up');
  return { transport, serviceManager: 'runit', endpoint: { name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey } };
};
const onHost = (i: number, path: string): string => join(hosts()[i]?.upperDir ?? '/nonexistent', path);
const run = async (i: number, script: string): Promise<string> => {
  const r = await cluster!.run(hosts()[i]!.name, script);
  if (r.code !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
};

test.before(async () => {
  cluster = await createTestHosts({ count: 2, kind: 'runit', namePrefix: 'rc' });
  transport = new SshTransport({ auth: { type: 'key-file', path: cluster.clientKeyPath } });
});

test.after.always(async () => {
  await transport?.close();
  await cluster?.teardown();
});

const HOSTILE_CONTENT = `a'b"c $(touch /tmp/pwned) \`id\`; rm -rf /nonexistent\n\\n \t tab\nno final newline`;
const HOSTILE_PATH = `/etc/ul test/it's "a" $(x);b.conf`;

/** A resource that waits for its directory, as resolve orders them. */
const inside = (n: HostNode, dir: string, spec: Parameters<typeof resource>[0]) => resource(spec, [`${n.endpoint.name}/directory:${dir}`]);

test.serial('a file is written atomically with mode and owner, updated, then deleted', async (t) => {
  const n = testNode(0);
  const dir = resource(directory('/etc/ul test'));
  const v1 = inside(n, '/etc/ul test', file(HOSTILE_PATH, HOSTILE_CONTENT, { mode: '0640', owner: 'nobody', group: 'nogroup' }));
  t.deepEqual(actionsOf(await converge(n, [dir, v1])), [`create ${dir.key}`, `create ${v1.key}`]);
  t.is(readFileSync(onHost(0, HOSTILE_PATH), 'utf8'), HOSTILE_CONTENT);
  const st = statSync(onHost(0, HOSTILE_PATH));
  t.is(st.mode & 0o7777, 0o640);
  t.is(st.uid, 65534);
  const seen = (await observe(n, [dir, v1])).resources[v1.key];
  t.like(seen, { exists: true, sha256: (v1.spec as DesiredFile).sha256, mode: '0640', owner: 'nobody', group: 'nogroup' });
  t.deepEqual(actionsOf(await converge(n, [dir, v1])), [], 'a second apply changes nothing');
  t.false(existsSync(onHost(0, '/tmp/pwned')));
  t.false(existsSync(onHost(1, HOSTILE_PATH)), 'node2 is untouched');

  const v2 = inside(n, '/etc/ul test', file(HOSTILE_PATH, 'second version\n', { mode: '0600', owner: 'root', group: 'root' }));
  t.deepEqual(actionsOf(await converge(n, [dir, v2])), [`update ${v2.key}`]);
  t.is(readFileSync(onHost(0, HOSTILE_PATH), 'utf8'), 'second version\n');
  t.is(statSync(onHost(0, HOSTILE_PATH)).mode & 0o7777, 0o600);
  t.deepEqual(readdirSync(onHost(0, '/etc/ul test')), [`it's "a" $(x);b.conf`], 'no temporary file left behind');

  t.deepEqual(actionsOf(await converge(n, [dir])), [`delete ${v2.key}`]);
  const after = await observe(n, [dir, v2]);
  t.like(after.resources[v2.key], { exists: false });
  t.false(Object.hasOwn(after.managed, v2.key), 'dropped from the managed record');
  t.deepEqual(actionsOf(await converge(n, [])), [`delete ${dir.key}`]);
});

test.serial('binary content (contentBase64) is written byte for byte, NUL and 0xff included, and observed as such', async (t) => {
  const n = testNode(1);
  const bytes = Buffer.concat([Buffer.from([0x00, 0xff, 0x00, 0xfe, 0xc3, 0x28, 0x0d, 0x0a]), Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)), Buffer.from([0xff])]);
  const blob = resource(binaryFile('/srv/ul-blob.bin', bytes, { mode: '0600' }));
  const created = await converge(n, [blob]);
  t.deepEqual(actionsOf(created), [`create ${blob.key}`]);
  t.is(typeof created.changes[0]?.after?.contentBase64, 'string');
  t.deepEqual(readFileSync(onHost(1, '/srv/ul-blob.bin')), bytes);
  t.is(statSync(onHost(1, '/srv/ul-blob.bin')).mode & 0o7777, 0o600);
  t.like((await observe(n, [blob])).resources[blob.key], { exists: true, sha256: (blob.spec as DesiredFile).sha256, size: bytes.length });
  t.deepEqual(actionsOf(await converge(n, [blob])), [], 'a second apply changes nothing');
  t.deepEqual(actionsOf(await converge(n, [])), [`delete ${blob.key}`]);
});

test.serial('a directory is created; deleting a non-empty one leaves it in place', async (t) => {
  const n = testNode(1);
  const dir = resource(directory('/srv/ul-dir', { mode: '0750', owner: 'nobody', group: 'nogroup' }));
  t.deepEqual(actionsOf(await converge(n, [dir])), [`create ${dir.key}`]);
  t.is(statSync(onHost(1, '/srv/ul-dir')).mode & 0o7777, 0o750);
  t.like((await observe(n, [dir])).resources[dir.key], { exists: true, mode: '0750', owner: 'nobody', group: 'nogroup' });
  await run(1, 'touch /srv/ul-dir/foreign');
  // The directory reconciler's own outcome: a skip, which apply does not yet journal as one.
  const outcome = await applyDirectory(ctxOf(n), change(`${n.endpoint.name}/${dir.key}`, { action: 'delete' }));
  t.is(outcome.result, 'skipped');
  t.true(existsSync(onHost(1, '/srv/ul-dir/foreign')));
  await run(1, 'rm /srv/ul-dir/foreign');
  t.deepEqual(actionsOf(await converge(n, [])), [`delete ${dir.key}`]);
  t.like((await observe(n, [dir])).resources[dir.key], { exists: false });
});

test.serial('a directory under a setgid parent gets exactly its mode: the inherited setgid bit is cleared, a declared one kept', async (t) => {
  const n = testNode(1);
  await run(1, 'mkdir -p /srv/ul-sgid && chmod 2775 /srv/ul-sgid');
  const plain = resource(directory('/srv/ul-sgid/plain', { mode: '0755' }));
  const kept = resource(directory('/srv/ul-sgid/kept', { mode: '2750' }));
  t.deepEqual(actionsOf(await converge(n, [plain, kept])), [`create ${kept.key}`, `create ${plain.key}`]);
  t.is(statSync(onHost(1, '/srv/ul-sgid/plain')).mode & 0o7777, 0o755);
  t.is(statSync(onHost(1, '/srv/ul-sgid/kept')).mode & 0o7777, 0o2750);
  t.deepEqual(actionsOf(await converge(n, [plain, kept])), [], 'a second apply changes nothing');
  await run(1, 'rm -rf /srv/ul-sgid');
});

test.serial('a runit service is created, runs with a pid, restarts with a new pid when its config changes, and is removed', async (t) => {
  const n = testNode(0);
  const config = (text: string) => resource(file('/etc/ul-ticker.conf', text));
  const spec = service('ul-ticker', { command: '/bin/sleep', args: ['1000'], restartOnChangeOf: ['file:/etc/ul-ticker.conf'] });
  const svc = resource(spec, [`${n.endpoint.name}/file:/etc/ul-ticker.conf`]);
  t.deepEqual(actionsOf(await converge(n, [config('one\n'), svc])), [`create file:/etc/ul-ticker.conf`, `create ${svc.key}`]);
  const first = (await observe(n, [svc])).resources[svc.key];
  t.like(first, { exists: true, running: true, enabled: true, definitionHash: renderServiceDefinition(spec, 'runit').hash });
  const pid1 = first?.kind === 'service' ? first.pid : undefined;
  t.true(typeof pid1 === 'number' && pid1 > 1);
  t.deepEqual(actionsOf(await converge(n, [config('one\n'), svc])), [], 'converged: nothing to do');

  t.deepEqual(actionsOf(await converge(n, [config('two\n'), svc])), [`update file:/etc/ul-ticker.conf`, `restart ${svc.key}`]);
  const second = (await observe(n, [svc])).resources[svc.key];
  const pid2 = second?.kind === 'service' ? second.pid : undefined;
  t.true(typeof pid2 === 'number' && pid2 !== pid1, `pid ${pid1} -> ${pid2}`);

  // The rollout health gate asks the service reconciler: running is healthy; stopped behind underlay's back is not.
  const gate = change(`${n.endpoint.name}/${svc.key}#restart`, { action: 'restart', disruptive: true });
  t.deepEqual(await serviceEffects.health!(ctxOf(n), gate), { healthy: true });
  // -v waits until runsv reports it down: plain sv down returns while it still runs ("run: ...; want down").
  await run(0, 'sv -v -w 7 down /etc/service/ul-ticker');
  const unhealthy = await serviceEffects.health!(ctxOf(n), gate);
  t.false(unhealthy.healthy);
  t.regex(unhealthy.healthy ? '' : unhealthy.message, /ul-ticker is not running: down: /);
  await run(0, 'sv up /etc/service/ul-ticker');

  t.deepEqual(actionsOf(await converge(n, [])).sort(), [`delete ${svc.key}`, `delete file:/etc/ul-ticker.conf`].sort());
  t.like((await observe(n, [svc])).resources[svc.key], { exists: false, running: false, enabled: false });
  t.is((await run(0, "ps -eo args | grep -c '^runsv ul-ticker' || true")).trim(), '0', 'no runsv left');
  t.false(existsSync(onHost(0, '/etc/sv/ul-ticker/run')));
});

test.serial('a service that exits at once fails apply with its status', async (t) => {
  const n = testNode(1);
  const svc = resource(service('ul-broken', { command: '/bin/false' }));
  const failed = await converge(n, [svc]);
  t.is(failed.changeSet.status, 'failed');
  t.regex(failuresOf(failed)[svc.key] ?? '', /rc2: starting ul-broken failed .*not running/s);
  await converge(n, []);
});

test.serial('a guarded command runs once; hostile argv passes through unchanged', async (t) => {
  const n = testNode(1);
  const arg = `it's "q" $(touch /tmp/pwned2); \`id\` \\ end\nsecond line`;
  const cmd = resource(command('ul-init', { argv: ['sh', '-c', 'printf "%s" "$1" > /var/lib/ul-init.out', 'sh', arg], creates: '/var/lib/ul-init.out' }));
  t.deepEqual(actionsOf(await converge(n, [cmd])), [`run ${cmd.key}`]);
  t.is(readFileSync(onHost(1, '/var/lib/ul-init.out'), 'utf8'), arg);
  t.false(existsSync(onHost(1, '/tmp/pwned2')));
  t.like((await observe(n, [cmd])).resources[cmd.key], { createsExists: true });
  t.deepEqual(actionsOf(await converge(n, [cmd])), [], 'the creates guard holds');

  const failing = resource(command('ul-fail', { argv: ['sh', '-c', 'echo boom >&2; exit 3'] }));
  const failed = await converge(n, [cmd, failing]);
  t.deepEqual(actionsOf(failed), [`run ${failing.key}`]);
  t.regex(failuresOf(failed)[failing.key] ?? '', /exited 3: boom/);
  await converge(n, []);
});

test.serial('observeSite gives a valid inventory, and names both fingerprints for a wrong host key', async (t) => {
  const [a, b] = [testNode(0), testNode(1)];
  // Node documents name their bastion; a plain endpoint without one is all these nodes need.
  const plain = (e: NodeEndpoint) => ({ name: e.name, address: e.address, port: e.port, user: e.user, hostKey: e.hostKey });
  const impostor = { ...plain(b.endpoint), name: 'impostor', hostKey: a.endpoint.hostKey };
  const site = desired([
    node(a.endpoint.name, [resource(file('/etc/hostname-copy', 'x'))], plain(a.endpoint)),
    node(b.endpoint.name, [resource(directory('/etc'))], plain(b.endpoint)),
    node('impostor', [], impostor),
  ]);
  const inventory = await observeSite({ desired: site, registry, transport: transport!, concurrency: 4, clock: { now: () => new Date('2030-01-01T00:00:00Z') } });
  const parsed = InventorySchema.safeParse(JSON.parse(JSON.stringify(inventory)));
  t.true(parsed.success, parsed.error?.message);
  t.is(inventory.observedAt, '2030-01-01T00:00:00.000Z');
  t.like(inventory.nodes[a.endpoint.name], { reachable: true, facts: { hostname: a.endpoint.name, serviceManager: 'runit', os: { id: 'debian' } } });
  t.true((inventory.nodes[a.endpoint.name]?.facts.addresses as { address: string }[]).some((x) => x.address === a.endpoint.address));
  const bad = inventory.nodes.impostor;
  t.false(bad?.reachable);
  t.regex(bad?.error ?? '', /impostor.*SHA256:\S+.*SHA256:\S+/);
});

test.serial('probe time for 20 files and 2 services (median of 10)', async (t) => {
  const n = testNode(0);
  const resources = [
    resource(directory('/etc/ul-bench')),
    ...Array.from({ length: 20 }, (_, i) => inside(n, '/etc/ul-bench', file(`/etc/ul-bench/f${i}.conf`, `value ${i}\n`))),
    resource(service('ul-bench-a', { command: '/bin/sleep', args: ['1000'] })),
    resource(service('ul-bench-b', { command: '/bin/sleep', args: ['1000'] })),
  ];
  t.is((await converge(n, resources)).changeSet.status, 'succeeded');
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = process.hrtime.bigint();
    const seen = await observe(n, resources);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    t.is(Object.values(seen.resources).filter((r) => r.kind === 'file' && r.exists).length, 20);
  }
  times.sort((x, y) => x - y);
  const median = ((times[4] ?? 0) + (times[5] ?? 0)) / 2;
  t.log(`probe of 20 files + 2 services: median ${median.toFixed(1)} ms (min ${times[0]?.toFixed(1)}, max ${times[9]?.toFixed(1)})`);
  t.true(median < 5_000);
  t.is((await converge(n, [])).changeSet.status, 'succeeded');
});
