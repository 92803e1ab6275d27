import test from 'ava';
import { changeWindowAt } from './change-windows.js';
import type { ChangeWindow } from './controller-config.js';

const nightly: ChangeWindow = { kind: 'allow', schedule: '0 22 * * *', duration: '4h' };
const freeze: ChangeWindow = { kind: 'deny', schedule: '0 23 * * *', duration: '30m' };
const at = (iso: string): Date => new Date(iso);

test('no windows: always open', (t) => {
  t.deepEqual(changeWindowAt([], at('2025-03-01T12:00:00Z')), { open: true });
});

test('an allow window is open from its opening for its duration, across midnight, and closed otherwise until the next opening', (t) => {
  t.deepEqual(changeWindowAt([nightly], at('2025-03-01T22:00:00Z')), { open: true });
  t.deepEqual(changeWindowAt([nightly], at('2025-03-02T01:59:59Z')), { open: true });
  const closed = changeWindowAt([nightly], at('2025-03-02T02:00:00Z'));
  t.like(closed, { open: false });
  t.deepEqual(closed.open ? null : closed.until, at('2025-03-02T22:00:00Z'));
  t.regex(closed.open ? '' : closed.reason, /outside every allow window/);
});

test('a deny window wins over an allow window, and says when it closes', (t) => {
  const d = changeWindowAt([nightly, freeze], at('2025-03-01T23:10:00Z'));
  t.like(d, { open: false });
  t.deepEqual(d.open ? null : d.until, at('2025-03-01T23:30:00Z'));
  t.deepEqual(changeWindowAt([nightly, freeze], at('2025-03-01T23:30:00Z')), { open: true });
});

test('a window follows its time zone', (t) => {
  const berlin: ChangeWindow = { ...nightly, timezone: 'Europe/Berlin' };
  t.deepEqual(changeWindowAt([berlin], at('2025-01-15T21:30:00Z')), { open: true }, '22:30 in Berlin');
  t.like(changeWindowAt([berlin], at('2025-01-15T20:30:00Z')), { open: false }, '21:30 in Berlin');
});
