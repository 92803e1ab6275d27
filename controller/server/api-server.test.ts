/**
 * The controller's API and metrics over real HTTP, around the real supervisor; each reconcile's steps are
 * the test's (test/support/controller-harness.ts says why), so what is asserted is the order of events,
 * never how long anything took.
 */
import test from 'ava';
import { emptyInventory, type Inventory } from '../model/observed.js';
import { configText, fakePlan, startControllerHarness, type ControllerHarness } from '../../test/support/controller-harness.js';

const SITES = `  - name: lab
    source: { repository: /srv/lab }
    apply: { policy: approve }
  - name: edge
    source: { repository: /srv/edge }
`;

async function call(h: ControllerHarness, method: string, path: string, options: { token?: string | null; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = options.token === undefined ? h.token : options.token;
  const response = await fetch(`${h.api.url}${path}`, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The first open reconcile of `site`. */
const openOf = (h: ControllerHarness, site: string) => {
  const found = h.open.find((c) => c.site === site);
  if (!found) throw new Error(`no reconcile of ${site} is running`);
  return found;
};

const planned = (hash: string) => (state: Parameters<Parameters<ControllerHarness['open'][0]['finish']>[0]>[0]) => ({ type: 'continue' as const, state: { ...state, plan: fakePlan(hash) } });

test('the API refuses a request without the bearer token, or with another one; health, readiness and metrics need none', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  for (const token of [null, 'wrong', `${h.token}x`]) {
    const answer = await call(h, 'GET', '/api/v1/sites', { token });
    t.is(answer.status, 401, `token ${String(token)}`);
    t.false(JSON.stringify(answer.body).includes(h.token));
  }
  t.is((await call(h, 'POST', '/api/v1/sites/lab/suspend', { token: null })).status, 401, 'no action without the token');
  t.false(h.daemon.site('lab')?.status().suspended);
  t.is((await call(h, 'GET', '/healthz', { token: null })).status, 200);
  t.is((await call(h, 'GET', '/api/v1/sites')).status, 200);
});

test('readiness waits until every site was attempted once, whatever its outcome; a failing site does not hold it', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  t.deepEqual((await call(h, 'GET', '/readyz', { token: null })).body, { ready: false, waiting: ['lab', 'edge'] });
  await openOf(h, 'edge').finish((state) => ({ type: 'fail', error: new Error('the Git server is down'), state }));
  const half = await call(h, 'GET', '/readyz', { token: null });
  t.is(half.status, 503);
  t.deepEqual(half.body.waiting, ['lab']);
  await openOf(h, 'lab').finish(planned('h1'));
  t.is((await call(h, 'GET', '/readyz', { token: null })).status, 200, 'ready although edge failed');
  const edge = (await call(h, 'GET', '/api/v1/sites/edge')).body as { conditions: { type: string; status: string; reason: string; message: string }[] };
  t.like(edge.conditions.find((c) => c.type === 'Ready'), { status: 'False', reason: 'ReconcileFailed' });
  t.regex(edge.conditions.find((c) => c.type === 'Ready')?.message ?? '', /the Git server is down/, "the dead source shows in that site's status");
});

test('approve: a stale plan hash is refused and changes nothing; the current one is approved and reconciled with', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  t.like((await call(h, 'POST', '/api/v1/sites/lab/approve', { body: { planHash: 'h1' } })), { status: 409 }, 'no plan yet');
  await openOf(h, 'lab').finish(planned('h1'));
  t.is((await call(h, 'GET', '/api/v1/sites/lab/plan')).body.hash, 'h1');

  const stale = await call(h, 'POST', '/api/v1/sites/lab/approve', { body: { planHash: 'h0' } });
  t.is(stale.status, 409);
  t.regex(String(stale.body.error), /plan h0 is not the current plan of site lab \(h1\): it is stale/);
  t.is(h.open.filter((c) => c.site === 'lab').length, 0, 'a refused approval starts nothing');
  t.is(h.daemon.site('lab')?.store.siteControls().get().approvedPlanHash, null);

  t.deepEqual((await call(h, 'POST', '/api/v1/sites/lab/approve', { body: { planHash: 'h1' } })).body, { approved: 'h1' });
  t.is(openOf(h, 'lab').approvedPlanHash, 'h1', 'the reconcile after the approval carries it');
  t.is((await call(h, 'POST', '/api/v1/sites/edge/approve', { body: { planHash: 'h1' } })).status, 409, 'edge applies by policy auto');
  t.is((await call(h, 'POST', '/api/v1/sites/lab/approve', { body: { hash: 'h1' } })).status, 400);
});

test('suspend holds a site (reconcile-now is refused), resume reconciles it; both outlive the process in the store', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  await openOf(h, 'edge').finish(planned('e1'));
  t.is((await call(h, 'POST', '/api/v1/sites/edge/suspend')).status, 200);
  t.is((await call(h, 'POST', '/api/v1/sites/edge/reconcile')).status, 409);
  await h.time.advance(3_600_000);
  t.is(h.started.filter((c) => c.site === 'edge').length, 1, 'no resync while suspended');
  t.true(h.daemon.site('edge')?.store.siteControls().get().suspended);
  t.like((await call(h, 'POST', '/api/v1/sites/edge/resume')).body, { suspended: false, reconcile: 'started' });
  t.is(h.started.filter((c) => c.site === 'edge').length, 2);
  t.like((await call(h, 'POST', '/api/v1/sites/edge/reconcile')).body, { reconcile: 'queued' });
  t.like((await call(h, 'POST', '/api/v1/sites/edge/reconcile')).body, { reconcile: 'coalesced' });
});

test('drift now: POST drift asks for a drift check of that site alone; refused while the site is suspended', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  await openOf(h, 'edge').finish(planned('e1'));
  const before = h.drift.length;
  const asked = await call(h, 'POST', '/api/v1/sites/edge/drift');
  t.is(asked.status, 202);
  t.deepEqual(asked.body, { drift: 'started' });
  t.deepEqual(h.drift.slice(before), ['edge'], 'one check, of edge only');
  t.is((await call(h, 'POST', '/api/v1/sites/edge/suspend')).status, 200);
  t.is((await call(h, 'POST', '/api/v1/sites/edge/drift')).status, 409);
  t.deepEqual(h.drift.slice(before), ['edge'], 'no check while suspended');
  t.is((await call(h, 'POST', '/api/v1/sites/edge/drift', { token: null })).status, 401);
});

test('runs and journal come from the store; unknown sites and endpoints are 404', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  const store = h.daemon.site('edge')!.store;
  const run = await store.beginRun({ revisionCommit: 'c1', planHash: 'p1', nodes: ['n1'] });
  await store.journal({ runId: run.id, changeId: 'n1/file:/etc/motd', node: 'n1', key: 'file:/etc/motd', action: 'update', phase: 'started', detail: null });
  t.deepEqual(((await call(h, 'GET', '/api/v1/sites/edge/runs')).body.runs as { id: number }[]).map((r) => r.id), [run.id]);
  const journal = (await call(h, 'GET', '/api/v1/sites/edge/journal')).body as { run: { id: number }; journal: { changeId: string }[] };
  t.is(journal.run.id, run.id);
  t.deepEqual(journal.journal.map((e) => e.changeId), ['n1/file:/etc/motd']);
  t.is((await call(h, 'GET', `/api/v1/sites/edge/runs/${run.id}/journal`)).status, 200);
  t.is((await call(h, 'GET', '/api/v1/sites/edge/runs/999')).status, 404);
  t.is((await call(h, 'GET', '/api/v1/sites/nowhere')).status, 404);
  t.is((await call(h, 'GET', '/api/v1/sites/lab/plan')).status, 404, 'no plan yet');
  t.is((await call(h, 'GET', '/api/v1/other')).status, 404);
});

test('the inventory snapshot of the last observation is served with hashes and without file contents', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  t.is((await call(h, 'GET', '/api/v1/sites/lab/inventory')).status, 404, 'not observed yet');
  const observed: Inventory = {
    ...emptyInventory(),
    nodes: { n1: { reachable: true, facts: {}, managed: {}, resources: { 'file:/etc/motd': { kind: 'file', path: '/etc/motd', exists: true, sha256: 'ab'.repeat(32), content: 'the text of the file\n' } } } },
  };
  await openOf(h, 'lab').finish((state) => ({ type: 'continue', state: { ...state, inventory: observed, plan: fakePlan('h1') } }));
  const answer = await call(h, 'GET', '/api/v1/sites/lab/inventory');
  t.is(answer.status, 200);
  const file = (answer.body as unknown as Inventory).nodes.n1!.resources['file:/etc/motd']!;
  t.is(file.sha256, 'ab'.repeat(32));
  t.false('content' in file, 'the text stays out of the snapshot');
  t.is((await call(h, 'GET', '/api/v1/sites/lab/inventory', { token: null })).status, 401);
});
