import test from 'ava';
import { diffCommand } from './diff.js';
import { command } from '../../test/support/build-desired.js';

const base = { serviceManager: 'runit' as const, desiredHash: 'd'.repeat(64) };

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
  t.is(diffCommand({ ...base, desired: want, observed: undefined, managedHash: base.desiredHash }), null);
  t.regex(diffCommand({ ...base, desired: want, observed: undefined, managedHash: 'e'.repeat(64) })?.reason ?? '', /changed since its last run/);
});

test('a managed command removed from Git only drops its record', (t) => {
  t.is(diffCommand({ ...base, desired: null, observed: undefined, managedHash: 'h' })?.action, 'delete');
  t.is(diffCommand({ ...base, desired: null, observed: undefined, managedHash: undefined }), null);
});
