import test from 'ava';
import { diffCommand } from './diff.js';
import { command } from '../../test/support/build-desired.js';

const HASH = 'd'.repeat(64);
const base = { serviceManager: 'runit' as const, desiredHash: () => HASH };

test('creates guard: runs when the path is missing, not when present', (t) => {
  const want = command('init', { creates: '/var/lib/app/.done' });
  t.is(diffCommand({ ...base, desired: want, observed: { kind: 'command', name: 'init', createsExists: false }, managedHash: undefined })?.reason, 'creates /var/lib/app/.done: missing');
  t.is(diffCommand({ ...base, desired: want, observed: { kind: 'command', name: 'init', createsExists: true }, managedHash: undefined }), null);
});

test('unless guard: exit 0 skips, anything else runs and says the code', (t) => {
  const want = command('check', { unless: ['/usr/bin/test', '-e', '/x'] });
  t.is(diffCommand({ ...base, desired: want, observed: { kind: 'command', name: 'check', unlessExitCode: 0 }, managedHash: 'h' }), null);
  const r = diffCommand({ ...base, desired: want, observed: { kind: 'command', name: 'check', unlessExitCode: 1 }, managedHash: 'h' });
  t.deepEqual([r?.action, r?.reason], ['run', 'unless guard exited 1']);
});

test('without guards it runs once per definition', (t) => {
  const want = command('migrate');
  t.is(diffCommand({ ...base, desired: want, observed: undefined, managedHash: undefined })?.reason, 'no guards and never run by underlay');
  t.is(diffCommand({ ...base, desired: want, observed: undefined, managedHash: HASH }), null);
  t.regex(diffCommand({ ...base, desired: want, observed: undefined, managedHash: 'e'.repeat(64) })?.reason ?? '', /changed since its last run/);
});

test('a managed command removed from Git only drops its record', (t) => {
  t.is(diffCommand({ ...base, desired: null, observed: undefined, managedHash: 'h' })?.action, 'delete');
  t.is(diffCommand({ ...base, desired: null, observed: undefined, managedHash: undefined }), null);
});

test('a run an interrupted apply left: waited for while running, adopted once finished with success, else the guard decides', (t) => {
  const want = command('init', { creates: '/var/lib/app/.done' });
  const input = (run: Record<string, unknown>, createsExists: boolean) => ({
    ...base,
    desired: want,
    observed: { kind: 'command' as const, name: 'init', createsExists, run: { runId: '4', startedAt: '2026-12-01T10:00:00Z', ...run } as never },
    managedHash: undefined,
  });
  const running = diffCommand(input({ state: 'running', hash: HASH }, false));
  t.deepEqual([running?.action, running?.reason], ['run', 'still running (started 2026-12-01T10:00:00Z by run 4, which did not finish): wait for it and adopt its result']);
  t.regex(diffCommand(input({ state: 'running', hash: 'e'.repeat(64) }, true))?.reason ?? '', /runs an earlier definition\), then run this one$/);
  // Adopted although the guard holds by now: the adoption records the run and retires its marker.
  t.regex(diffCommand(input({ state: 'finished', exitCode: 0, hash: HASH }, true))?.reason ?? '', /^finished with exit 0 \(started 2026-12-01T10:00:00Z by run 4, which did not finish\): its result is adopted, it does not run again$/);
  t.is(diffCommand(input({ state: 'finished', exitCode: 3, hash: HASH }, true)), null, 'a failed run whose guard holds now runs no more');
  t.is(diffCommand(input({ state: 'finished', exitCode: 3, hash: HASH }, false))?.reason, 'creates /var/lib/app/.done: missing (the run an earlier apply started exited 3)');
  t.is(diffCommand(input({ state: 'lost', lost: 'rebooted', hash: HASH }, false))?.reason, 'creates /var/lib/app/.done: missing (the run an earlier apply started died with the node)');
  t.deepEqual(running?.before, { createsExists: false, name: 'init', run: { runId: '4', startedAt: '2026-12-01T10:00:00Z', state: 'running', hash: HASH } });
});

test('a command the module marks disruptive runs batch by batch; an unmarked one does not', (t) => {
  t.true(diffCommand({ ...base, desired: { ...command('migrate'), disruptive: true }, observed: undefined, managedHash: undefined })?.disruptive);
  t.false(diffCommand({ ...base, desired: command('migrate'), observed: undefined, managedHash: undefined })?.disruptive);
});
