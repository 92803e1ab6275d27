import test from 'ava';
import { circuitBreaker } from './circuit-breaker.js';

const base = { cluster: 'etcd', remainingBatches: 2 };

test('failures within the budget are allowed, including the budget itself', (t) => {
  t.deepEqual(circuitBreaker({ ...base, failedNodes: [], failureBudget: 0 }), { state: 'allowed' });
  t.deepEqual(circuitBreaker({ ...base, failedNodes: ['a', 'b'], failureBudget: 2 }), { state: 'allowed' });
});

test('one failure past the budget trips, naming the nodes in order and what was not started', (t) => {
  t.deepEqual(circuitBreaker({ ...base, failedNodes: ['n3', 'n1'], failureBudget: 1 }), {
    state: 'tripped',
    reason: 'FailureBudgetExceeded',
    message: 'rollout of cluster etcd halted: 2 node(s) failed (n1, n3), failure budget is 1; 2 remaining batch(es) not started',
  });
});

test('a zero budget trips on the first failure', (t) => {
  t.is(circuitBreaker({ ...base, failedNodes: ['n1'], failureBudget: 0 }).state, 'tripped');
});

test('under a pause policy the message says paused', (t) => {
  const decision = circuitBreaker({ ...base, failedNodes: ['n1'], failureBudget: 0, onFailure: 'pause' });
  t.is(decision.state === 'tripped' ? decision.message : '', 'rollout of cluster etcd paused: 1 node(s) failed (n1), failure budget is 0; 2 remaining batch(es) not started');
});
