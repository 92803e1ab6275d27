/** What a reconcile raises and resolves (the alerter itself is tested in test/alerts against a real HTTP sink). */
import test from 'ava';
import type { ChangeSet } from '../apply/change-set.js';
import type { RunningAlerter } from '../alerts/create-alerter.js';
import type { Plan } from '../model/plan.js';
import type { Reconciled } from '../runtime/reconcile.js';
import { initialState, type ReconcileState } from '../runtime/reconcile-state.js';
import type { Revision } from '../source/revision.js';
import { parseControllerConfig } from './controller-config.js';
import type { IssuedCertificateRecord } from '../store/issued-certificates.js';
import { alertCertificates, alertReconcile } from './site-alerts.js';

const site = parseControllerConfig('/c.yaml', 'apiVersion: underlay.dev/v1alpha1\nkind: ControllerConfig\nsites:\n  - {name: lab, source: {repository: /srv/lab}}\n').sites[0]!;

function recorder(): { alerter: RunningAlerter; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    alerter: {
      raise: (a) => void calls.push(`raise ${a.reason} ${a.key}`),
      resolve: (_s, reason, key) => void calls.push(`resolve ${reason} ${key}`),
      close: () => Promise.resolve(),
      settled: () => Promise.resolve(),
    },
  };
}

const state = (extra: Partial<ReconcileState> = {}): ReconcileState => ({ ...initialState(), revision: { commit: 'c1' } as Revision, ...extra });
const plan = { revision: { commit: 'c1' }, rollout: [{ cluster: 'etcd' }, { cluster: 'web' }] } as unknown as Plan;
const run = (status: ChangeSet['status'], extra: Partial<ChangeSet> = {}): ChangeSet => ({ runId: 7, planHash: 'h', status, results: [], nodes: {}, conditions: [], ...extra });

test('a source that cannot be read raises SourceUnreachable, and nothing else is judged', (t) => {
  const { alerter, calls } = recorder();
  const failed: Reconciled<ReconcileState> = { outcome: { type: 'fail', step: 'fetch-revision', error: new Error('connection refused') }, state: initialState() };
  alertReconcile(alerter, site, failed);
  t.deepEqual(calls, ['raise SourceUnreachable ']);
});

test('a refused signature raises SignatureRefused; a failed run ApplyFailed and a halted cluster RolloutHalted, the others resolved', (t) => {
  const { alerter, calls } = recorder();
  alertReconcile(alerter, site, { outcome: { type: 'stall', step: 'verify-signature', code: 'SignatureRefused', message: 'unsigned' }, state: state() });
  t.deepEqual(calls.splice(0), ['resolve SourceUnreachable ', 'raise SignatureRefused ']);
  const halted = run('halted', { conditions: [{ type: 'RolloutHalted', reason: 'TooManyUnhealthy', message: 'budget', cluster: 'etcd' }] });
  alertReconcile(alerter, site, { outcome: { type: 'stall', step: 'apply', code: 'RolloutHalted', message: 'budget' }, state: state({ plan, changeSet: halted }) });
  t.deepEqual(calls.splice(0), ['resolve SourceUnreachable ', 'resolve SignatureRefused ', 'raise RolloutHalted etcd', 'resolve RolloutHalted web']);
  const failed = run('failed', { nodes: { n1: { converged: false, error: { code: 'Unreachable', message: 'no route' } } } });
  alertReconcile(alerter, site, { outcome: { type: 'fail', step: 'apply', error: new Error('run 7 failed') }, state: state({ plan, changeSet: failed }) });
  t.true(calls.includes('raise ApplyFailed '));
  calls.splice(0);
  alertReconcile(alerter, site, { outcome: { type: 'done' }, state: state({ plan, changeSet: run('succeeded') }) });
  t.deepEqual(calls, ['resolve SourceUnreachable ', 'resolve SignatureRefused ', 'resolve ApplyFailed ', 'resolve RolloutHalted etcd', 'resolve RolloutHalted web']);
});

test('certificates near their end raise CertificateExpiring for this site; renewed ones resolve theirs', (t) => {
  const { alerter, calls } = recorder();
  const record = (node: string, notAfter: string): IssuedCertificateRecord => ({
    serial: `s-${node}`,
    authority: 'site-ca',
    node,
    certificate: 'etcd-server',
    notAfter,
    fingerprint: `fp-${node}`,
    issuedAt: '2026-11-01T00:00:00.000Z',
    installedAt: '2026-11-01T00:01:00.000Z',
    revokedAt: null,
  });
  alertCertificates(alerter, 'lab', [record('node1', '2026-12-03T00:00:00.000Z'), record('node2', '2027-02-01T00:00:00.000Z')], new Date('2026-12-01T00:00:00.000Z'));
  t.deepEqual(calls, ['raise CertificateExpiring node1/etcd-server', 'resolve CertificateExpiring node2/etcd-server']);
});
