/**
 * The controller registration (controller-registration.ts) on a real SQLite file: one connection stands for
 * the controller, another for a CLI apply on the same state directory. Processes are described, not
 * spawned: whether a pid is alive and when it started are passed in.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { processStartTicks, type ControllerHolder } from './controller-registration.js';
import type { ProcessIdentity } from './lock-holder.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';

async function tempDb(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-ctlreg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return stateDatabaseFile(path.join(dir, 'state'));
}

const machine = { host: 'ctl-1', boot: 'boot-a', pidNamespace: 'pid:[1]' };
const controller = (pid: number, extra: Partial<ControllerHolder> = {}): ControllerHolder => ({ ...machine, pid, startTicks: '500', since: '2025-01-01T00:00:00.000Z', ...extra });

/** A clock the test moves by hand. */
function handClock(start = '2025-01-01T00:00:00.000Z'): Clock & { advance(ms: number): void } {
  let now = Date.parse(start);
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}

interface World {
  alive: Set<number>;
  starts: Map<number, string>;
}

function cliStore(file: string, clock: Clock, world: World, me: ProcessIdentity = { ...machine, pid: 9000 }): SqliteStore {
  return SqliteStore.open({ file, site: 'lab', clock, process: me, isProcessAlive: (pid) => world.alive.has(pid), processStartTicks: (pid) => world.starts.get(pid) ?? '' });
}

test('a live controller holds the site: the CLI is refused, naming it; a clean exit frees it', async (t) => {
  const file = await tempDb(t);
  const clock = handClock();
  const world: World = { alive: new Set([4242]), starts: new Map([[4242, '500']]) };
  const daemon = cliStore(file, clock, world, { ...machine, pid: 4242 });
  const cli = cliStore(file, clock, world);
  t.is(daemon.controllerRegistrations().register('tok-a', controller(4242), 10_000), null);

  const claim = cli.controllerRegistrations().claim();
  t.false(claim.free);
  t.like(claim, { registration: { site: 'lab', holder: { pid: 4242, host: 'ctl-1' } }, stale: false });

  clock.advance(25_000);
  t.true(daemon.controllerRegistrations().heartbeat('tok-a'));
  t.like(cli.controllerRegistrations().claim(), { free: false, stale: false }, 'a fresh heartbeat');

  daemon.controllerRegistrations().unregister('tok-a');
  t.deepEqual(cli.controllerRegistrations().claim(), { free: true });
  await Promise.all([daemon.close(), cli.close()]);
});

test('a SIGKILLed controller (pid gone) is taken over once, with what it was', async (t) => {
  const file = await tempDb(t);
  const clock = handClock();
  const world: World = { alive: new Set([4242]), starts: new Map([[4242, '500']]) };
  const cli = cliStore(file, clock, world);
  cli.controllerRegistrations().register('tok-a', controller(4242), 10_000);
  world.alive.delete(4242);

  const claim = cli.controllerRegistrations().claim();
  t.like(claim, { free: true, replaced: { token: 'tok-a', holder: { pid: 4242 } } });
  t.deepEqual(cli.controllerRegistrations().claim(), { free: true }, 'removed: the next apply sees nothing');
  await cli.close();
});

test('a pid reused by a process that started later is not the controller', async (t) => {
  const file = await tempDb(t);
  const clock = handClock();
  const world: World = { alive: new Set([4242]), starts: new Map([[4242, '777']]) };
  const cli = cliStore(file, clock, world);
  cli.controllerRegistrations().register('tok-a', controller(4242, { startTicks: '500' }), 10_000);
  t.like(cli.controllerRegistrations().claim(), { free: true, replaced: { token: 'tok-a' } });
  await cli.close();
});

test('a controller on another host is never judged dead: a stale heartbeat is said, and it still refuses', async (t) => {
  const file = await tempDb(t);
  const clock = handClock();
  const world: World = { alive: new Set(), starts: new Map() };
  const cli = cliStore(file, clock, world);
  cli.controllerRegistrations().register('tok-b', controller(4242, { host: 'ctl-2', boot: 'boot-b' }), 10_000);
  t.like(cli.controllerRegistrations().claim(), { free: false, stale: false });
  clock.advance(31_000);
  t.like(cli.controllerRegistrations().claim(), { free: false, stale: true });
  t.like(cli.controllerRegistrations().breakRegistration(), { token: 'tok-b' }, 'force-unlock --controller removes it');
  t.deepEqual(cli.controllerRegistrations().claim(), { free: true });
  await cli.close();
});

test('a controller whose registration another took over stops refreshing it, and its clean exit removes nothing of the other', async (t) => {
  const file = await tempDb(t);
  const clock = handClock();
  const world: World = { alive: new Set([1, 2]), starts: new Map() };
  const store = cliStore(file, clock, world);
  store.controllerRegistrations().register('tok-1', controller(1, { startTicks: '' }), 10_000);
  t.like(store.controllerRegistrations().register('tok-2', controller(2, { startTicks: '' }), 10_000), { token: 'tok-1' }, 'the one it replaced');
  t.false(store.controllerRegistrations().heartbeat('tok-1'));
  store.controllerRegistrations().unregister('tok-1');
  t.like(store.controllerRegistrations().registration(), { token: 'tok-2' });
  await store.close();
});

test('the start time of this process is read from /proc, and a pid that does not exist has none', (t) => {
  t.regex(processStartTicks(process.pid), /^\d+$/);
  t.is(processStartTicks(2 ** 30), '');
});
