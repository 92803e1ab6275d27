/**
 * The symlink kind on a real test host, through observe, makePlan and applyPlan (test/support/converge-node.ts):
 * created with its owner and never followed, retargeted atomically, taken over from a file, refused over a
 * directory, pruned when managed, and left in place (a journalled skip) when it is no longer a link.
 */
import test from 'ava';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SshTransport } from '../../controller/transport/ssh-transport.js';
import { createTestHosts, type TestHostCluster } from '../../test/hosts/harness.js';
import { directory, resource, symlink } from '../../test/support/build-desired.js';
import { actionsOf, converge, failuresOf, observe, type HostNode } from '../../test/support/converge-node.js';

let cluster: TestHostCluster | undefined;
let transport: SshTransport | undefined;

test.before(async () => {
  cluster = await createTestHosts({ count: 1, kind: 'runit', namePrefix: 'ln' });
  transport = new SshTransport({ auth: { type: 'key-file', path: cluster.clientKeyPath } });
});

test.after.always(async () => {
  await transport?.close();
  await cluster?.teardown();
});

function testNode(): HostNode {
  const h = cluster?.hosts[0];
  if (!h || !transport) throw new Error('test host did not come up');
  return { transport, serviceManager: 'runit', endpoint: { name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey } };
}
const onHost = (path: string): string => join(cluster?.hosts[0]?.upperDir ?? '/nonexistent', path);
async function run(script: string): Promise<void> {
  const r = await cluster!.run(cluster!.hosts[0]!.name, script);
  if (r.code !== 0) throw new Error(`${script}: ${r.stderr}`);
}

const HOSTILE_TARGET = `../rel $(touch /tmp/pwned) 'q' "d";x`;

test.serial('a link is created with its owner, never followed, retargeted atomically, then pruned', async (t) => {
  const n = testNode();
  await run('mkdir -p /srv/ul-target && echo keep > /srv/ul-target/data');
  const dir = resource(directory('/srv/ul-links'));
  const inDir = (spec: ReturnType<typeof symlink>) => resource(spec, [`${n.endpoint.name}/${dir.key}`]);
  const v1 = inDir(symlink('/srv/ul-links/current', '/srv/ul-target', { owner: 'nobody', group: 'nogroup' }));
  const odd = inDir(symlink('/srv/ul-links/odd', HOSTILE_TARGET));
  t.deepEqual(actionsOf(await converge(n, [dir, v1, odd])), [`create ${dir.key}`, `create ${v1.key}`, `create ${odd.key}`]);
  t.is(readlinkSync(onHost('/srv/ul-links/current')), '/srv/ul-target');
  t.is(readlinkSync(onHost('/srv/ul-links/odd')), HOSTILE_TARGET);
  t.is(lstatSync(onHost('/srv/ul-links/current')).uid, 65534, 'the link itself is owned');
  t.is(statSync(onHost('/srv/ul-target')).uid, 0, 'its target is not touched');
  t.false(existsSync(onHost('/tmp/pwned')));
  t.like((await observe(n, [dir, v1])).resources[v1.key], { exists: true, target: '/srv/ul-target', owner: 'nobody', group: 'nogroup' });
  t.deepEqual(actionsOf(await converge(n, [dir, v1, odd])), [], 'a second apply changes nothing');

  const v2 = inDir(symlink('/srv/ul-links/current', '/srv/ul-elsewhere', { owner: 'nobody', group: 'nogroup' }));
  t.deepEqual(actionsOf(await converge(n, [dir, v2, odd])), [`update ${v2.key}`]);
  t.is(readlinkSync(onHost('/srv/ul-links/current')), '/srv/ul-elsewhere');
  t.deepEqual(readdirSync(onHost('/srv/ul-links')).sort(), ['current', 'odd'], 'no temporary link left behind');

  t.deepEqual(actionsOf(await converge(n, [dir])).sort(), [`delete ${v2.key}`, `delete ${odd.key}`].sort());
  t.deepEqual(readdirSync(onHost('/srv/ul-links')), []);
  t.is(readFileSync(onHost('/srv/ul-target/data'), 'utf8'), 'keep\n', 'pruning a link leaves what it pointed at');
  t.deepEqual(actionsOf(await converge(n, [])), [`delete ${dir.key}`]);
});

test.serial('a file at the path is taken over; a directory there is refused, never entered', async (t) => {
  const n = testNode();
  await run('echo old > /etc/ul-was-file && mkdir -p /etc/ul-was-dir && echo mine > /etc/ul-was-dir/inside');
  const overFile = resource(symlink('/etc/ul-was-file', '/etc/hostname'));
  const overDir = resource(symlink('/etc/ul-was-dir', '/etc/hostname'));
  t.deepEqual(actionsOf(await converge(n, [overFile])), [`update ${overFile.key}`]);
  t.is(readlinkSync(onHost('/etc/ul-was-file')), '/etc/hostname');
  const result = await converge(n, [overFile, overDir]);
  t.deepEqual(actionsOf(result), [`update ${overDir.key}`]);
  t.regex(failuresOf(result)[overDir.key] ?? '', /\/etc\/ul-was-dir is a directory, not replaced by a symbolic link/);
  t.is(readFileSync(onHost('/etc/ul-was-dir/inside'), 'utf8'), 'mine\n');
  // Recorded before it was attempted (as every written kind is), so dropping it from Git plans its prune,
  // which finds no link there and leaves the directory alone.
  const dropped = await converge(n, [overFile]);
  t.deepEqual(actionsOf(dropped), [`delete ${overDir.key}`]);
  t.like(dropped.changeSet.results[0], { outcome: 'skipped', cause: 'kind', reason: '/etc/ul-was-dir is no longer a symbolic link: left in place, no longer managed' });
  t.is(readFileSync(onHost('/etc/ul-was-dir/inside'), 'utf8'), 'mine\n');
  t.deepEqual(actionsOf(await converge(n, [overFile])), []);
  t.deepEqual(actionsOf(await converge(n, [])), [`delete ${overFile.key}`]);
  t.false(existsSync(onHost('/etc/ul-was-file')));
  await run('rm -r /etc/ul-was-dir');
});

test.serial('pruning a managed link that someone replaced with a file leaves the file and journals a skip', async (t) => {
  const n = testNode();
  const link = resource(symlink('/etc/ul-replaced', '/etc/hostname'));
  t.deepEqual(actionsOf(await converge(n, [link])), [`create ${link.key}`]);
  await run('rm /etc/ul-replaced && echo theirs > /etc/ul-replaced');
  const pruned = await converge(n, []);
  t.deepEqual(actionsOf(pruned), [`delete ${link.key}`]);
  t.like(pruned.changeSet.results[0], { outcome: 'skipped', cause: 'kind', reason: '/etc/ul-replaced is no longer a symbolic link: left in place, no longer managed' });
  t.is(readFileSync(onHost('/etc/ul-replaced'), 'utf8'), 'theirs\n');
  t.deepEqual(actionsOf(await converge(n, [])), [], 'no longer managed');
  await run('rm /etc/ul-replaced');
});
