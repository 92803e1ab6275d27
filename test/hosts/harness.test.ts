import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { poll, sshBannerSeen } from './exec.js';
import { cleanupStaleTestHosts, createTestHosts, type TestHost, type TestHostCluster } from './harness.js';
import { leftoversOf } from './leftovers.js';
import { sshRun, writeKnownHosts } from './ssh-client.js';
import { readState } from './state.js';
import { isAlive, pidRef } from './proc.js';

let cluster: TestHostCluster | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'underlay-harness-test-'));

const c = (): TestHostCluster => {
  if (!cluster) throw new Error('cluster did not come up');
  return cluster;
};
const host = (name: string): TestHost => {
  const h = c().hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
};
const ssh = (h: TestHost, knownHosts: string, cmd: string) => sshRun(h, c().clientKeyPath, knownHosts, cmd);

test.before(async () => {
  cluster = await createTestHosts({ count: 2 });
});

test.after.always(async () => {
  await cluster?.teardown();
  rmSync(scratch, { recursive: true, force: true });
});

test.serial('each node answers ssh with its own host key', async (t) => {
  t.is(c().hosts.length, 2);
  const hostKeys = readFileSync('/etc/ssh/ssh_host_ed25519_key.pub', 'utf8').split(/\s+/)[1];
  for (const h of c().hosts) {
    t.regex(h.hostKey, /^ssh-ed25519 AAAA\S+$/);
    t.not(h.hostKey.split(' ')[1], hostKeys, 'a node must not reuse the host machine key');
    t.regex(h.address, /^198\.(18|19)\.\d+\.\d+$/);
    const kh = writeKnownHosts(scratch, `kh-${h.name}`, [h]);
    const r = await ssh(h, kh, 'hostname');
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), h.name);
  }
  t.not(host('node1').hostKey, host('node2').hostKey);
  // Node2's key presented for node1's address must be rejected: strict checking is really in force.
  const wrong = writeKnownHosts(scratch, 'kh-wrong', [{ address: host('node1').address, hostKey: host('node2').hostKey }]);
  const r = await ssh(host('node1'), wrong, 'true');
  t.not(r.code, 0);
  t.regex(r.stderr, /host key|HOST IDENTIFICATION/i);
});

test.serial('a file written on node1 stays on node1 and shows in its upper dir', async (t) => {
  const kh = writeKnownHosts(scratch, 'kh-all', c().hosts);
  const marker = `/root/underlay-marker-${process.pid}`;
  const w = await ssh(host('node1'), kh, `echo from-node1 > ${marker}`);
  t.is(w.code, 0, w.stderr);
  const r2 = await ssh(host('node2'), kh, `test -e ${marker}`);
  t.is(r2.code, 1);
  t.false(existsSync(marker), 'the host must not see it');
  t.is(readFileSync(join(host('node1').upperDir, marker), 'utf8'), 'from-node1\n');
  t.false(existsSync(join(host('node2').upperDir, marker)));
  const viaNsenter = await c().run('node1', `cat ${marker}`);
  t.is(viaNsenter.stdout, 'from-node1\n');
});

test.serial('runit on a node supervises a new service', async (t) => {
  const kh = writeKnownHosts(scratch, 'kh-all', c().hosts);
  const setup = await ssh(
    host('node1'),
    kh,
    'mkdir -p /etc/sv/x && printf "#!/bin/sh\\nexec sleep 1000\\n" > /etc/sv/x/run && chmod +x /etc/sv/x/run && ln -s /etc/sv/x /etc/service/x',
  );
  t.is(setup.code, 0, setup.stderr);
  // runsvdir rescans /etc/service every 5 s.
  const status = await poll('service x running', 20_000, async () => {
    const r = await ssh(host('node1'), kh, 'sv status /etc/service/x');
    return r.stdout.startsWith('run: /etc/service/x') ? r.stdout : undefined;
  }, 250);
  t.regex(status, /^run: \/etc\/service\/x: \(pid \d+\)/);
});

test.serial('stopHost makes a node unreachable and startHost brings it back with its files and key', async (t) => {
  const h2 = host('node2');
  const kh = writeKnownHosts(scratch, 'kh-node2-before', [h2]);
  t.is((await ssh(h2, kh, 'echo kept > /root/kept')).code, 0);
  await c().stopHost('node2');
  t.false(await sshBannerSeen(h2.address, 22, 1000));
  const down = await sshRun(h2, c().clientKeyPath, kh, 'true');
  t.not(down.code, 0);
  await t.throwsAsync(c().run('node2', 'true'));
  // node1 is untouched
  t.is((await ssh(host('node1'), writeKnownHosts(scratch, 'kh-n1', [host('node1')]), 'true')).code, 0);

  await c().startHost('node2');
  t.is(host('node2').hostKey, h2.hostKey);
  const r = await ssh(host('node2'), kh, 'cat /root/kept');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'kept\n');
});

test.serial('wipeHost gives a fresh upper dir and a new host key', async (t) => {
  const before = host('node2');
  const oldKh = writeKnownHosts(scratch, 'kh-node2-old', [before]);
  const after = await c().wipeHost('node2');
  t.not(after.hostKey, before.hostKey);
  t.deepEqual(host('node2'), after);
  t.false(existsSync(join(after.upperDir, 'root/kept')));
  const r = await ssh(after, writeKnownHosts(scratch, 'kh-node2-new', [after]), 'test -e /root/kept; echo $?');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), '1');
  const stale = await ssh(after, oldKh, 'true');
  t.not(stale.code, 0, 'the old key must no longer be accepted');
});

test.serial('teardown leaves nothing behind and is idempotent', async (t) => {
  const state = readState(c().stateDir);
  // The checker must see a live cluster, or an empty list after teardown would prove nothing.
  const live = leftoversOf(state);
  t.true(live.includes(`bridge ${state.bridge}`), live.join('\n'));
  for (const n of state.nodes) {
    t.true(live.includes(`netns ${n.netns}`));
    t.true(live.includes(`veth ${n.veth}`));
    t.true(live.some((x) => x.startsWith(`process ${n.init?.pid} `)));
    t.true(live.some((x) => x.startsWith(`mount of ${state.stateDir} held by pid`)));
  }
  await c().teardown();
  t.deepEqual(leftoversOf(state), []);
  await c().teardown();
});

test('cleanupStaleTestHosts removes the nodes of a killed process', async (t) => {
  const harness = fileURLToPath(new URL('./harness.ts', import.meta.url));
  const code = `import { createTestHosts } from ${JSON.stringify(harness)};
const c = await createTestHosts({ count: 1, namePrefix: 'crash' });
console.log('STATE ' + c.stateDir);
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stateDir = await poll('crashing child up', 60_000, () => /STATE (\S+)/.exec(out)?.[1]);
  const state = readState(stateDir);
  const owner = pidRef(child.pid!);
  // SIGKILL: no exit hook runs, exactly like a crashed or timed-out test worker.
  child.kill('SIGKILL');
  await poll('child dead', 10_000, () => (isAlive(owner) ? undefined : true));
  t.true(leftoversOf(state).length > 0, 'the killed process must have left its cluster behind');
  await cleanupStaleTestHosts();
  t.deepEqual(leftoversOf(state), []);
});
