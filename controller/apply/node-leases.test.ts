/**
 * Node leases and the record fence with the real node-side scripts, on FAKE local nodes (local-nodes.ts),
 * and with the clock and timers driven by the test: no sleeping, no timing.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordManaged } from '../../reconcilers/managed-record.js';
import { takeLease } from '../../reconcilers/node-lease.js';
import type { Clock, Timers } from '../clock.js';
import type { LockHolder, NodeLease, ProcessIdentity } from '../store/lock-holder.js';
import type { NodeEndpoint } from '../transport/transport.js';
import { localNodes } from './local-nodes.js';
import { NodeLeases } from './node-leases.js';

const me: ProcessIdentity = { host: 'ctl-1', boot: 'boot-a', pidNamespace: 'pid:[1]', pid: 100 };
const endpoint = (name: string): NodeEndpoint => ({ name, address: '127.0.0.1', port: 22, user: 'root', hostKey: 'ssh-ed25519 AAAA' });

/** A clock that moves only when a waiter sleeps; `onSleep` runs at each sleep (another apply acting meanwhile). */
function manualTime(onSleep: () => Promise<void> = () => Promise.resolve()): { clock: Clock; timers: Timers & { renewals: (() => Promise<void>)[] }; sleeps: () => number } {
  let now = Date.parse('2025-01-01T00:00:00.000Z');
  let sleeps = 0;
  const renewals: (() => Promise<void>)[] = [];
  return {
    clock: { now: () => new Date(now) },
    timers: {
      renewals,
      every: (_ms, task) => {
        renewals.push(task);
        return () => renewals.splice(renewals.indexOf(task), 1);
      },
      sleep: async (ms) => {
        sleeps++;
        now += ms;
        await onSleep();
      },
    },
    sleeps: () => sleeps,
  };
}

async function nodesRoot(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-leases-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An apply's leases: `token` and `pid` say which apply it is; `recorded` collects what it tells the store. */
interface LeasesOf {
  transport: ReturnType<typeof localNodes>;
  token: string;
  pid: number;
  time: ReturnType<typeof manualTime>;
  recorded?: Map<string, NodeLease | null>;
}

function leases({ transport, token, pid, time, recorded = new Map<string, NodeLease | null>() }: LeasesOf) {
  const holder: LockHolder = { site: 'lab', ...me, pid, run: null, since: '2025-01-01T00:00:00.000Z' };
  return new NodeLeases({
    transport,
    store: { recordLease: (node, lease) => Promise.resolve(void recorded.set(node, lease)) },
    token,
    holder,
    ttlSeconds: 60,
    concurrency: 4,
    clock: time.clock,
    timers: time.timers,
    self: me,
    isProcessAlive: (p) => [100, 200, 300].includes(p),
  });
}

const atOnce = (time: ReturnType<typeof manualTime>) => ({ clock: time.clock, timers: time.timers, deadline: time.clock.now().getTime() });

test('a second apply is refused at once, naming the holder; with a deadline it waits until the first lets go', async (t) => {
  const transport = localNodes(await nodesRoot(t));
  const nodes = [endpoint('node1'), endpoint('node2')];
  const time = manualTime();
  const first = leases({ transport, token: 'aa11', pid: 200, time });
  t.like(await first.take(nodes, atOnce(time)), { held: ['node1', 'node2'], refused: {}, duplicates: {} });

  const second = leases({ transport, token: 'bb22', pid: 300, time });
  const refused = await second.take(nodes, atOnce(time));
  t.deepEqual(refused.held, []);
  t.is(refused.refused.node2?.code, 'NodeLeased');
  t.regex(refused.refused.node2?.message ?? '', /^node2 is leased by site lab, host ctl-1, pid 200, since 2025-01-01T00:00:00\.000Z, until \S+ by the node's clock: .*--lock-timeout.*force-unlock --node node2/);
  t.is(time.sleeps(), 0, 'no waiting without a timeout');

  let releasedAfter = 0;
  const waiting = manualTime(async () => {
    if (++releasedAfter === 3) await first.release();
  });
  const patient = leases({ transport, token: 'bb22', pid: 300, time: waiting });
  const outcome = await patient.take(nodes, { clock: waiting.clock, timers: waiting.timers, deadline: waiting.clock.now().getTime() + 30_000 });
  t.deepEqual([outcome.held, outcome.refused], [['node1', 'node2'], {}]);
  t.is(waiting.sleeps(), 3, 'it polled until the holder let go');
});

test('one machine under two node names: both are refused as DuplicateNodeIdentity', async (t) => {
  const transport = localNodes(await nodesRoot(t), { 'node1-alias': 'node1' });
  const time = manualTime();
  const outcome = await leases({ transport, token: 'aa11', pid: 200, time }).take([endpoint('node1'), endpoint('node1-alias'), endpoint('node2')], atOnce(time));
  t.deepEqual(Object.keys(outcome.duplicates).sort(), ['node1', 'node1-alias']);
  t.is(outcome.duplicates['node1-alias']?.code, 'DuplicateNodeIdentity');
  t.regex(outcome.duplicates['node1-alias']?.message ?? '', /^nodes node1-alias and node1 reach the same machine/);
  t.deepEqual(outcome.refused, {});
});

test('a lease whose holder died on this machine is taken over at once, with a note naming it', async (t) => {
  const transport = localNodes(await nodesRoot(t));
  const time = manualTime();
  await leases({ transport, token: 'dead0', pid: 999, time }).take([endpoint('node1')], atOnce(time));
  const outcome = await leases({ transport, token: 'aa11', pid: 200, time }).take([endpoint('node1')], atOnce(time));
  t.deepEqual(outcome.held, ['node1']);
  t.deepEqual(outcome.notes.length, 1);
  t.regex(outcome.notes[0] ?? '', /^took over the lease on node1 from an apply that is gone \(node1 is leased by site lab, host ctl-1, pid 999/);
});

test('a holder whose lease was taken over loses it at its next renewal, and the node refuses its record writes', async (t) => {
  const transport = localNodes(await nodesRoot(t));
  const time = manualTime();
  const recorded = new Map<string, NodeLease | null>();
  const stale = leases({ transport, token: 'aa11', pid: 200, time, recorded });
  await stale.take([endpoint('node1')], atOnce(time));
  stale.startRenewal();
  t.is(time.timers.renewals.length, 1);
  const ctx = { transport, node: endpoint('node1'), serviceManager: 'runit' as const };
  await recordManaged(ctx, [{ key: 'file:/etc/a', hash: 'h1' }], { site: 'lab', fence: 'aa11' });
  const record = path.join(transport.stateDir('node1'), 'managed.json');
  const written = await readFile(record, 'utf8');
  t.regex(written, /"owner": \{\n {2}"node": "node1",\n {2}"site": "lab"\n \}/);

  // Another apply takes the lease over, as it does once the stale holder has not renewed it for its TTL.
  const holder: LockHolder = { site: 'lab', ...me, pid: 300, run: null, since: '2025-01-01T00:01:00.000Z' };
  t.is((await takeLease({ transport, node: endpoint('node1') }, { token: 'bb22', ttlSeconds: 60, holder, takeover: 'aa11' })).state, 'took-over');

  await t.throwsAsync(recordManaged(ctx, [{ key: 'file:/etc/b', hash: 'h2' }], { site: 'lab', fence: 'aa11' }), {
    code: 'LeaseLost',
    message: /node node1: \/var\/lib\/underlay\/managed\.json was not written: this apply no longer holds the node's lease \(it is leased by site lab, host ctl-1, pid 300, since 2025-01-01T00:01:00\.000Z\)/,
  });
  t.is(await readFile(record, 'utf8'), written, 'the record is as the stale holder last wrote it');
  await time.timers.renewals[0]!();
  t.is(stale.lost('node1')?.code, 'LeaseLost');
  t.regex(stale.lost('node1')?.message ?? '', /^this apply's lease on node1 was taken over: node1 is leased by site lab, host ctl-1, pid 300/);
  t.deepEqual(await stale.release(), []);
  t.like(JSON.parse(await readFile(path.join(transport.stateDir('node1'), 'lease.json'), 'utf8')), { token: 'bb22' }, 'releasing a lost lease leaves the new holder\'s alone');
  t.is(recorded.get('node1'), null);
});
