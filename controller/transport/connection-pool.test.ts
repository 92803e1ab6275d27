/**
 * The site's kept SSH connections (ADR 0027) against real OpenSSH servers: handshakes are counted in sshd's
 * own log (one "Accepted publickey" per connection), idle time runs on manual timers.
 */
import test from 'ava';
import { copyFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { manualTime } from '../../test/support/manual-timers.js';
import { makeKeyPair, startSshd, tempDir, type KeyPair, type TestSshd } from '../../test/support/sshd.js';
import type { Revision } from '../source/revision.js';
import { ConnectionPool, type ConnectionPoolOptions } from './connection-pool.js';
import { fingerprint, parseHostKey } from './host-key.js';
import type { SshTransportOptions } from './ssh-transport.js';
import type { TransportError } from './errors.js';

let dir: string;
let clientKey: KeyPair;
let a: TestSshd;
let b: TestSshd;
const pools: ConnectionPool[] = [];
const revision: Revision = { source: 'test', ref: 'main', commit: '0'.repeat(40), worktree: false, files: [] };

test.before(async () => {
  dir = await tempDir();
  clientKey = await makeKeyPair(dir, 'id_ed25519');
  [a, b] = await Promise.all([startSshd({ authorizedKeys: [clientKey.publicKey] }), startSshd({ authorizedKeys: [clientKey.publicKey] })]);
});

test.after.always(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all([a?.stop(), b?.stop()]);
});

function pool(extra: Partial<ConnectionPoolOptions> = {}, settings: Partial<SshTransportOptions> = {}): { pool: ConnectionPool; time: ReturnType<typeof manualTime> } {
  const time = manualTime();
  const p = new ConnectionPool({
    settings: () => Promise.resolve({ auth: { type: 'key-file', path: clientKey.privateKeyPath }, connectAttempts: 2, backoffBaseMs: 20, ...settings }),
    idleTimeoutMs: 600_000,
    maxConnections: 16,
    timers: time.timers,
    ...extra,
  });
  pools.push(p);
  return { pool: p, time };
}

/** What one drift check does with the pool: get the transport for the revision, probe each node once, let go. */
async function check(p: ConnectionPool, nodes: ReturnType<TestSshd['endpoint']>[]): Promise<void> {
  const transport = await p.get(revision);
  for (const r of await Promise.all(nodes.map((n) => transport.exec(n, ['true'])))) if (r.code !== 0) throw new Error(`probe exited ${r.code}`);
  await transport.close();
}

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

test.serial('two checks share one connection per node: one handshake each, as sshd counts them', async (t) => {
  const { pool: p } = pool();
  const nodes = [a.endpoint('node-a'), b.endpoint('node-b')];
  const before = [a.acceptedLogins(), b.acceptedLogins()];
  await check(p, nodes);
  await check(p, nodes);
  await check(p, nodes);
  t.deepEqual([a.acceptedLogins() - before[0]!, b.acceptedLogins() - before[1]!], [1, 1]);
  t.is(p.stats().connectionsOpened, 2);
  t.is(p.stats().openConnections, 2, "a run's close() leaves them open");
});

test.serial('a connection the sshd side killed is replaced by the next check, which succeeds', async (t) => {
  const { pool: p } = pool();
  const node = a.endpoint('node-a');
  const transport = await p.get(revision);
  // The session's parent is the sshd process that serves this connection.
  const session = Number((await transport.exec(node, ['sh', '-c', 'echo $PPID'])).stdout.toString().trim());
  const before = a.acceptedLogins();
  process.kill(session, 'SIGKILL');
  await check(p, [node]);
  t.is(a.acceptedLogins() - before, 1, 'one new handshake');
  t.is(p.stats().connectionsOpened, 2);
});

test.serial('a kept connection whose node went away is reconnected, then reported Unreachable as without a pool', async (t) => {
  const gone = await startSshd({ authorizedKeys: [clientKey.publicKey] });
  const { pool: p } = pool();
  const node = gone.endpoint('node-gone');
  const session = Number((await (await p.get(revision)).exec(node, ['sh', '-c', 'echo $PPID'])).stdout.toString().trim());
  // The node goes down: its sshd stops listening and the process serving the kept connection dies.
  await gone.stop();
  process.kill(session, 'SIGKILL');
  await waitFor(() => p.stats().openConnections === 0);
  const transport = await p.get(revision);
  const err = await t.throwsAsync<TransportError>(transport.exec(node, ['true']));
  t.is(err?.code, 'Unreachable');
  t.regex(err?.message ?? '', /node-gone/);
  t.is(p.stats().connectAttempts, 1 + 2, 'the first connection, then the bounded attempts of one reconnect');
});

test.serial('an idle connection closes after the idle timeout, not before; the next check opens a new one', async (t) => {
  const { pool: p, time } = pool({ idleTimeoutMs: 600_000 });
  const node = b.endpoint('node-b');
  const before = b.acceptedLogins();
  await check(p, [node]);
  await time.advance(599_999);
  t.is(p.stats().openConnections, 1);
  await check(p, [node]);
  await time.advance(599_999);
  t.is(p.stats().openConnections, 1, 'use restarts the idle time');
  await time.advance(1);
  t.is(p.stats().connectionsClosedIdle, 1);
  t.is(p.stats().openConnections, 0);
  await check(p, [node]);
  t.is(b.acceptedLogins() - before, 2);
  await p.close();
  t.deepEqual(time.pending(), [], 'no idle timer outlives the pool');
});

test.serial('past the bound, the least recently used idle connection closes', async (t) => {
  const { pool: p } = pool({ maxConnections: 2 });
  await check(p, [a.endpoint('n1')]);
  await check(p, [b.endpoint('n2')]);
  await check(p, [a.endpoint('n3')]);
  t.is(p.stats().openConnections, 2);
  t.is(p.stats().connectionsClosedIdle, 1);
  const before = b.acceptedLogins();
  await check(p, [b.endpoint('n2')]);
  t.is(b.acceptedLogins(), before, 'n2 was used more recently than n1, so it was kept');
});

test.serial('a jump host stays open while a connection is tunnelled through it, and idles out after it', async (t) => {
  const { pool: p, time } = pool({ idleTimeoutMs: 600_000 });
  const node = b.endpoint('node-b', { address: '127.0.0.1', via: a.endpoint('bastion') });
  await check(p, [node]);
  await check(p, [node]);
  t.is(p.stats().connectionsOpened, 2, 'the bastion and the node, once each');
  await time.advance(600_000);
  // The bastion's idle time starts when the tunnelled connection has closed.
  await waitFor(() => time.pending().length === 1);
  t.is(p.stats().openConnections, 1, 'the node idled out; the bastion, used by its tunnel until then, waits its own idle time');
  await time.advance(599_999);
  t.is(p.stats().openConnections, 1);
  await time.advance(1);
  t.is(p.stats().openConnections, 0);
  t.is(p.stats().connectionsClosedIdle, 2);
});

/** A TCP relay whose target can be switched and whose connections can be cut: one address, another machine behind it. */
async function switchableRelay(target: number): Promise<{ port: number; switchTo(port: number): void; cut(): void; close(): void }> {
  let to = target;
  const sockets: Socket[] = [];
  const server = createServer((inbound) => {
    const outbound = connect(to, '127.0.0.1');
    sockets.push(inbound, outbound);
    inbound.pipe(outbound).pipe(inbound);
    for (const [s, other] of [[inbound, outbound], [outbound, inbound]] as const) {
      s.on('error', () => other.destroy());
      s.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (): void => void sockets.splice(0).forEach((s) => s.destroy());
  return {
    port: (server.address() as AddressInfo).port,
    switchTo: (port) => void (to = port),
    cut,
    close: () => (cut(), server.close()),
  };
}

test.serial('a reconnect is pin-checked: another machine behind the address is refused, naming both keys', async (t) => {
  const relay = await switchableRelay(a.port);
  t.teardown(() => relay.close());
  const { pool: p } = pool();
  const node = a.endpoint('node-a', { port: relay.port });
  await check(p, [node]);
  relay.switchTo(b.port);
  relay.cut();
  await waitFor(() => p.stats().openConnections === 0);
  const before = b.acceptedLogins();
  const err = await t.throwsAsync<TransportError>((await p.get(revision)).exec(node, ['true']));
  t.is(err?.code, 'HostKeyMismatch');
  t.is((err?.data as { presented?: string }).presented, fingerprint(parseHostKey(b.hostKey).blob));
  t.is(b.acceptedLogins(), before, 'nothing authenticated to the other machine');
});

test.serial("a node re-pinned in Git gets a new connection checked against the new pin; the old one closes", async (t) => {
  const { pool: p } = pool();
  await check(p, [a.endpoint('node-a')]);
  t.is(p.stats().openConnections, 1);
  // Git now pins b's key for node-a's address: the kept connection (made under the old pin) must not serve it.
  const err = await t.throwsAsync<TransportError>((await p.get(revision)).exec(a.endpoint('node-a', { hostKey: b.hostKey }), ['true']));
  t.is(err?.code, 'HostKeyMismatch');
  await waitFor(() => p.stats().openConnections === 0);
  t.is(p.stats().openConnections, 0, 'the connection made under the old pin is closed');
});

test.serial('a rotated client key starts a new transport: the old connections close, the new key authenticates', async (t) => {
  const keyPath = join(dir, 'rotating');
  const second = await makeKeyPair(dir, 'second');
  const rotated = await startSshd({ authorizedKeys: [clientKey.publicKey, second.publicKey] });
  t.teardown(() => rotated.stop());
  await copyFile(clientKey.privateKeyPath, keyPath);
  const { pool: p } = pool({ settings: () => Promise.resolve({ auth: { type: 'key-file', path: keyPath } }) });
  await check(p, [rotated.endpoint('n')]);
  await check(p, [rotated.endpoint('n')]);
  t.is(rotated.acceptedLogins(), 1);
  await copyFile(second.privateKeyPath, keyPath);
  await check(p, [rotated.endpoint('n')]);
  t.is(rotated.acceptedLogins(), 2);
  t.regex(rotated.log(), /Accepted publickey for root .* ED25519 SHA256:/);
  t.is(p.stats().openConnections, 1);
});

test.serial('close() ends every kept connection, and the pool refuses further use', async (t) => {
  const { pool: p } = pool();
  await check(p, [a.endpoint('node-a'), b.endpoint('node-b')]);
  t.is(p.stats().openConnections, 2);
  await p.close();
  t.is(p.stats().openConnections, 0);
  await t.throwsAsync(p.get(revision), { message: /closed/ });
});
