/**
 * The rollout endpoints over real HTTP, around the real supervisor (test/support/controller-harness.ts):
 * a rollout left halted in the site's store is shown, pause is refused, resume carries it on with a
 * reconcile, and abort then asks it to stop.
 */
import test from 'ava';
import { configText, startControllerHarness, type ControllerHarness } from '../../test/support/controller-harness.js';
import { startRolloutState } from '../rollout/rollout-state.js';

const SITES = `  - name: edge
    source: { repository: /srv/edge }
`;

async function call(h: ControllerHarness, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${h.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('rollouts are shown and steered through the API as with underlay rollout', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  const store = h.daemon.site('edge')!.store;
  const halted = { ...startRolloutState({ cluster: 'app', revision: 'c1', failureBudget: 0 }), status: 'halted' as const, reason: 'FailureBudgetExceeded', batchesDone: [1], failed: [{ node: 'n1', batch: 1, gates: [{ gate: 'service-up', result: 'fail' as const, output: 'down' }] }], budget: { used: 1, allowed: 0 } };
  await store.changeRolloutState('app', () => ({ state: halted }));

  const list = await call(h, 'GET', '/api/v1/sites/edge/rollouts');
  t.is(list.status, 200);
  t.like((list.body.rollouts as { state: object }[])[0]?.state, { status: 'halted', failed: [{ node: 'n1' }] });
  t.is((await call(h, 'GET', '/api/v1/sites/edge/rollouts/app')).status, 200);
  t.is((await call(h, 'GET', '/api/v1/sites/edge/rollouts/nope')).status, 404);

  const pause = await call(h, 'POST', '/api/v1/sites/edge/rollouts/app/pause');
  t.is(pause.status, 409);
  t.regex(String(pause.body.error), /is halted: there is nothing to pause/);
  t.is((await call(h, 'POST', '/api/v1/sites/edge/rollouts/app/resume', { recovered: 'n1' })).status, 400);
  t.is((await call(h, 'POST', '/api/v1/sites/edge/rollouts/app/restart')).status, 404);

  const resumed = await call(h, 'POST', '/api/v1/sites/edge/rollouts/app/resume', { recovered: ['n1'] });
  t.is(resumed.status, 202);
  t.regex(String(resumed.body.message), /resumed after batch\(es\) 1; healthy again: n1/);
  t.truthy(resumed.body.reconcile, 'a reconcile is asked for, which carries the rollout on');
  t.like((await store.rolloutState('app'))?.state, { status: 'running', recovered: ['n1'] });

  const aborted = await call(h, 'POST', '/api/v1/sites/edge/rollouts/app/abort');
  t.is(aborted.status, 200);
  t.is((await store.rolloutState('app'))?.request, 'abort');
});
