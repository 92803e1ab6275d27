/** A change set as alerts: failed nodes and halted rollouts raise; converged nodes and unhalted clusters resolve. */
import test from 'ava';
import type { ChangeSet } from './change-set.js';
import { applyAlerts } from './apply-alerts.js';

const changeSet: ChangeSet = {
  runId: 7,
  planHash: 'p',
  status: 'halted',
  results: [],
  nodes: { node2: { converged: false, error: { code: 'Unhealthy', message: 'service etcd is not up after the restart' } }, node1: { converged: true } },
  conditions: [{ type: 'RolloutHalted', reason: 'FailureBudgetExceeded', message: '1 node failed, budget 0', cluster: 'etcd' }],
};

test('a failed node and a halted rollout raise; a converged node and a cluster not halted resolve', (t) => {
  const alerts = applyAlerts({ site: 'lab', revision: 'c'.repeat(40), changeSet, clusters: ['etcd', 'lb'] });
  t.deepEqual(alerts.raise.map((a) => [a.reason, a.key]), [['ApplyFailed', 'node2'], ['RolloutHalted', 'etcd']]);
  t.like(alerts.raise[0], { summary: 'apply failed on node2: service etcd is not up after the restart [Unhealthy]', details: { run: 7, code: 'Unhealthy' } });
  t.deepEqual(alerts.resolve, [{ reason: 'ApplyFailed', key: 'node1' }, { reason: 'RolloutHalted', key: 'lb' }]);
});
