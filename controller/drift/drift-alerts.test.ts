/** A drift report as alerts: an incident per drifted resource, one more while it fights, resolved with it. */
import test from 'ava';
import type { DriftRecord, DriftReport } from './drift-report.js';
import type { Alert, Alerter, AlertReason } from '../alerts/alert.js';
import { alertDrift, correctionRolloutAlerts, driftAlerts } from './drift-alerts.js';

const record = (id: string, over: Partial<DriftRecord> = {}): DriftRecord => ({
  id,
  target: 'node1',
  kind: 'file',
  key: id.slice(id.indexOf('/') + 1),
  action: 'update',
  reason: 'content changed',
  before: { digest: 'sha256:b' },
  after: { digest: 'sha256:a' },
  mode: 'correct',
  disposition: 'correct',
  firstSeen: '2026-01-01T10:00:00.000Z',
  lastSeen: '2026-01-01T10:05:00.000Z',
  ageSeconds: 300,
  correctionsLastHour: 0,
  ...over,
});

const report = (over: Partial<DriftReport>): DriftReport => ({
  site: 'lab',
  revision: 'c'.repeat(40),
  baseline: 'last-applied',
  checkedAt: '2026-01-01T10:05:00.000Z',
  drifted: [],
  resolved: [],
  fighting: [],
  toCorrect: [],
  ignored: 0,
  unobserved: [],
  outcome: { type: 'done' },
  ...over,
});

test('one DriftDetected per drifted resource, with digests and age; a fighting one gets its own incident', (t) => {
  const fighting = record('node1/file:/etc/issue', { disposition: 'fighting', correctionsLastHour: 3 });
  const { raise, resolve } = driftAlerts(report({ drifted: [record('node1/file:/etc/motd'), fighting], fighting: [fighting] }));
  t.deepEqual(raise.map((a) => a.key), ['node1/file:/etc/motd', 'node1/file:/etc/issue', 'node1/file:/etc/issue#fighting']);
  t.like(raise[0]?.details, { before: { digest: 'sha256:b' }, after: { digest: 'sha256:a' }, ageSeconds: 300, firstSeen: '2026-01-01T10:00:00.000Z' });
  t.regex(raise[2]?.summary ?? '', /is fighting: corrected 3 times within the hour/);
  t.deepEqual(resolve, ['node1/file:/etc/motd#fighting'], 'a resource not fighting (any more) closes its fighting incident');
});

test('a resolved resource resolves both its incidents; a check that stopped raises and resolves nothing', (t) => {
  const calls: string[] = [];
  const alerter: Alerter = {
    raise: (a: Alert) => void calls.push(`raise ${a.key}`),
    resolve: (_site: string, _reason: AlertReason, key: string) => void calls.push(`resolve ${key}`),
    close: () => Promise.resolve(),
  };
  alertDrift(alerter, report({ resolved: [record('node1/file:/etc/motd', { resolvedAt: '2026-01-01T10:05:00.000Z' })] }));
  t.deepEqual(calls, ['resolve node1/file:/etc/motd', 'resolve node1/file:/etc/motd#fighting']);
  calls.length = 0;
  alertDrift(alerter, report({ outcome: { type: 'stall', step: 'load', code: 'RevisionInvalid', message: 'x' } }));
  t.deepEqual(calls, []);
});

test('a correction the breaker halted raises RolloutHalted for its cluster; one that got through resolves it', (t) => {
  const calls: string[] = [];
  const alerter: Alerter = {
    raise: (a: Alert) => void calls.push(`raise ${a.reason} ${a.key}`),
    resolve: (_site: string, reason: AlertReason, key: string) => void calls.push(`resolve ${reason} ${key}`),
    close: () => Promise.resolve(),
  };
  const halted = { cluster: 'app', reason: 'FailureBudgetExceeded', message: 'rollout of cluster app halted: 1 node(s) failed (node1)' };
  const stopped = { type: 'stall', step: 'apply', code: 'RolloutHalted', message: 'halted' } as const;
  alertDrift(alerter, report({ outcome: stopped, correction: { runId: 4, status: 'failed', corrected: ['node1/file:/etc/ro/app.conf'], failed: [], clusters: ['app'], halted: [halted] } }));
  t.deepEqual(calls, ['raise RolloutHalted app'], 'raised even though the check stopped at the halt');
  const { raise } = correctionRolloutAlerts(report({ correction: { runId: 4, status: 'failed', corrected: [], failed: [], clusters: ['app'], halted: [halted] } }));
  t.like(raise[0], { reason: 'RolloutHalted', key: 'app', details: { runId: 4, reason: 'FailureBudgetExceeded', correction: true } });
  t.regex(raise[0]?.summary ?? '', /halted \(a drift correction\): rollout of cluster app halted/);

  calls.length = 0;
  alertDrift(alerter, report({ correction: { runId: 5, status: 'succeeded', corrected: ['node2/file:/etc/ro/app.conf'], failed: [], clusters: ['app', 'db'], halted: [] } }));
  t.deepEqual(calls, ['resolve RolloutHalted app', 'resolve RolloutHalted db']);
  calls.length = 0;
  alertDrift(alerter, report({ correction: { runId: 6, status: 'interrupted', corrected: [], failed: [], clusters: ['app'], halted: [] } }));
  t.deepEqual(calls, [], 'an interrupted correction says nothing of its rollouts');
});
