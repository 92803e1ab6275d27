/** The drift assessment, pure, with exact times: first seen and age, resolved, ignore, fighting, backoff, report-only. */
import test from 'ava';
import type { Change } from '../model/change.js';
import { nodeTarget } from '../model/target.js';
import { assessDrift, type DriftAssessmentInput } from './assess-drift.js';
import type { DriftCorrection, OpenDrift } from '../store/drift-ledger.js';
import { driftModes } from './drift-policy.js';
import type { DriftRecord } from './drift-report.js';
import type { ClusterDoc } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';

const T0 = new Date('2026-01-01T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

function fileChange(node: string, path: string, cluster = 'web'): Change {
  return {
    id: `${node}/file:${path}`,
    target: nodeTarget(node),
    kind: 'file',
    key: `file:${path}`,
    action: 'update',
    before: { content: 'edited by hand\n', path, sha256: 'b'.repeat(64) },
    after: { content: 'from git\n', path, sha256: 'a'.repeat(64) },
    reason: 'content changed (sha256 bbbbbbbb -> aaaaaaaa)',
    dependsOn: [],
    disruptive: false,
    cluster,
    step: 'base',
  };
}

/** A spec with one cluster `web` of this drift policy. */
function modes(drift: ClusterDoc['spec']['drift']): DriftAssessmentInput['modeOf'] {
  const cluster = { doc: { spec: { drift } } } as unknown as Located<ClusterDoc>;
  return driftModes({ clusters: { web: cluster } });
}

function input(over: Partial<DriftAssessmentInput>): DriftAssessmentInput {
  return {
    site: 'lab',
    revision: 'c'.repeat(40),
    baseline: 'last-applied',
    now: T0,
    changes: [],
    modeOf: modes({ mode: 'correct', resources: {} }),
    open: [],
    corrections: [],
    unobserved: [],
    permit: { allowed: true },
    ...over,
  };
}

const carry = (a: ReturnType<typeof assessDrift>): OpenDrift<DriftRecord>[] => a.upsert;
const corrected = (id: string, minutes: number, outcome: DriftCorrection['outcome'] = 'succeeded', retryAt: string | null = null): DriftCorrection => ({ id, at: at(minutes).toISOString(), outcome, retryAt });

test('a drifted resource is first seen at the first check that finds it, and ages from then across checks', (t) => {
  const motd = fileChange('node1', '/etc/motd');
  const first = assessDrift(input({ changes: [motd] }));
  t.like(first.report.drifted[0], { id: 'node1/file:/etc/motd', firstSeen: T0.toISOString(), lastSeen: T0.toISOString(), ageSeconds: 0, disposition: 'correct', mode: 'correct' });
  t.deepEqual(first.report.toCorrect.map((r) => r.id), ['node1/file:/etc/motd']);
  const later = assessDrift(input({ now: at(7), changes: [motd], open: carry(first) }));
  t.like(later.report.drifted[0], { firstSeen: T0.toISOString(), lastSeen: at(7).toISOString(), ageSeconds: 420 });
  t.deepEqual(later.report.resolved, []);
});

test('a record says what drifted by digests and the plan reason, not by content', (t) => {
  const [record] = assessDrift(input({ changes: [fileChange('node1', '/etc/motd')] })).report.drifted;
  t.is(record?.before?.contentSha256, 'b'.repeat(64));
  t.is(record?.after?.contentSha256, 'a'.repeat(64));
  t.regex(record?.before?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  t.not(record?.before?.digest, record?.after?.digest);
  t.notRegex(JSON.stringify(record), /edited by hand|from git/);
});

test('a resource that matches again is resolved, with its age at resolution, and leaves the ledger', (t) => {
  const first = assessDrift(input({ changes: [fileChange('node1', '/etc/motd')] }));
  const next = assessDrift(input({ now: at(3), changes: [], open: carry(first) }));
  t.deepEqual(next.report.drifted, []);
  t.like(next.report.resolved[0], { id: 'node1/file:/etc/motd', resolvedAt: at(3).toISOString(), ageSeconds: 180 });
  t.deepEqual(next.resolve, ['node1/file:/etc/motd']);
});

test('ignore: a resource the policy ignores is counted, neither reported nor recorded; the cluster mode yields to a resource entry', (t) => {
  const changes = [fileChange('node1', '/etc/motd'), fileChange('node1', '/etc/issue')];
  const a = assessDrift(input({ changes, modeOf: modes({ mode: 'alert', resources: { 'file:/etc/motd': 'ignore' } }) }));
  t.deepEqual(a.report.drifted.map((r) => [r.id, r.mode, r.disposition]), [['node1/file:/etc/issue', 'alert', 'report']]);
  t.is(a.report.ignored, 1);
  t.deepEqual(a.upsert.map((o) => o.id), ['node1/file:/etc/issue']);
  t.deepEqual(a.report.toCorrect, [], 'alert reports only');
  // Recorded before the policy said ignore: closed, without a resolved notice (it may still differ).
  const before = assessDrift(input({ changes })).upsert;
  const now = assessDrift(input({ changes, open: before, modeOf: modes({ mode: 'ignore', resources: {} }) }));
  t.deepEqual(now.resolve, ['node1/file:/etc/issue', 'node1/file:/etc/motd']);
  t.deepEqual(now.report.resolved, []);
});

test('fighting: corrected 3 times within the hour and drifted again, correction stops; an older correction no longer counts', (t) => {
  const id = 'node1/file:/etc/motd';
  const changes = [fileChange('node1', '/etc/motd')];
  const two = assessDrift(input({ now: at(50), changes, corrections: [corrected(id, 10), corrected(id, 20)] }));
  t.like(two.report.drifted[0], { disposition: 'correct', correctionsLastHour: 2 });
  const three = assessDrift(input({ now: at(50), changes, corrections: [corrected(id, 10), corrected(id, 20), corrected(id, 30)] }));
  t.like(three.report.drifted[0], { disposition: 'fighting', correctionsLastHour: 3 });
  t.deepEqual(three.report.fighting.map((r) => r.id), [id]);
  t.deepEqual(three.report.toCorrect, []);
  t.regex(three.report.fighting[0]?.note ?? '', /corrected 3 times within the hour/);
  const hourLater = assessDrift(input({ now: at(71), changes, corrections: [corrected(id, 10), corrected(id, 20), corrected(id, 30)] }));
  t.like(hourLater.report.drifted[0], { disposition: 'correct', correctionsLastHour: 2 });
});

test('backoff: after a failed correction the next waits until its retry time', (t) => {
  const id = 'node1/file:/etc/motd';
  const changes = [fileChange('node1', '/etc/motd')];
  const failed = [corrected(id, 0, 'failed', at(2).toISOString())];
  const waiting = assessDrift(input({ now: at(1), changes, corrections: failed }));
  t.like(waiting.report.drifted[0], { disposition: 'backoff', retryAt: at(2).toISOString() });
  t.deepEqual(waiting.report.toCorrect, []);
  t.like(assessDrift(input({ now: at(2), changes, corrections: failed })).report.drifted[0], { disposition: 'correct' }, 'at its retry time it is corrected again');
});

test('under approve or a deny window, correction is report-only and says why', (t) => {
  const a = assessDrift(input({ changes: [fileChange('node1', '/etc/motd')], permit: { allowed: false, reason: 'the apply policy is approve' } }));
  t.like(a.report.drifted[0], { disposition: 'report', note: 'correction is report-only: the apply policy is approve' });
  t.deepEqual(a.report.toCorrect, []);
});

test('a node that could not be observed keeps its records as last seen, older; restarts are not drift themselves', (t) => {
  const first = assessDrift(input({ changes: [fileChange('node1', '/etc/motd'), fileChange('node2', '/etc/motd')] }));
  const restart: Change = { ...fileChange('node1', '/etc/motd'), id: 'node1/service:web#restart', kind: 'service', key: 'service:web', action: 'restart' };
  const next = assessDrift(input({ now: at(5), changes: [restart], open: carry(first), unobserved: ['node2'] }));
  t.deepEqual(next.report.drifted.map((r) => [r.id, r.ageSeconds, r.lastSeen]), [['node2/file:/etc/motd', 300, T0.toISOString()]]);
  t.regex(next.report.drifted[0]?.note ?? '', /not observed/);
  t.deepEqual(next.resolve, ['node1/file:/etc/motd']);
  t.deepEqual(next.upsert, [], 'a carried-over record is not written again');
});

test('a resource delivering a secret shows only whether its content is the store\'s', (t) => {
  const secret: Change = {
    ...fileChange('node1', '/etc/app/token'),
    kind: 'secretFile',
    key: 'secretFile:/etc/app/token',
    id: 'node1/secretFile:/etc/app/token',
    before: { content: 'differs', group: 'root', mode: '0600', owner: 'root', path: '/etc/app/token' },
    after: { group: 'root', mode: '0600', owner: 'root', path: '/etc/app/token', secret: 'app-token' },
  };
  const [record] = assessDrift(input({ changes: [secret] })).report.drifted;
  t.is(record?.before?.secretContent, 'changed');
  t.is(record?.before?.contentSha256, undefined);
  t.is(record?.after?.secretContent, undefined);
});
