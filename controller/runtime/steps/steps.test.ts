/** Each step of the runtime against what it wraps: load, resolve, observe, plan and decide. */
import test from 'ava';
import { registry } from '../../../reconcilers/registry.js';
import { steppingClock, systemTimers } from '../../clock.js';
import { KeyedQueue } from '../../model/keyed-queue.js';
import { emptyInventory, type Inventory } from '../../model/observed.js';
import { makePlan } from '../../plan/make-plan.js';
import type { Transport } from '../../transport/transport.js';
import { clusterDoc, moduleDoc, node, testSpec } from '../../../test/support/build-spec.js';
import { revisionOf, validSite } from '../../../test/support/site-files.js';
import { unusedTransport } from '../../../test/support/fake-apply.js';
import type { ReconcileEvent } from '../reconcile-event.js';
import { initialState, type ReconcileState } from '../reconcile-state.js';
import type { RuntimeDeps } from '../runtime-deps.js';
import { cliStatus } from '../write-status.js';
import { decide } from './decide.js';
import { load } from './load.js';
import { observe } from './observe.js';
import { plan } from './plan.js';
import { resolve } from './resolve.js';

function fakeDeps(transport: Transport = unusedTransport): { deps: RuntimeDeps; events: ReconcileEvent[] } {
  const events: ReconcileEvent[] = [];
  const unused = { get: () => Promise.reject(new Error('not used by these steps')) };
  const deps: RuntimeDeps = {
    registry,
    source: { read: () => Promise.reject(new Error('not used by these steps')) },
    transport: { get: () => Promise.resolve(transport) },
    store: unused,
    effects: () => undefined,
    managedRecord: () => ({ update: () => Promise.reject(new Error('not used by these steps')) }),
    clock: steppingClock(),
    timers: systemTimers,
    concurrency: 2,
    queue: new KeyedQueue(),
    status: cliStatus,
    onEvent: (event) => void events.push(event),
  };
  return { deps, events };
}

const revision = revisionOf(validSite());
const loaded = async (): Promise<ReconcileState> => {
  const result = await load.run({ ...initialState(), revision }, fakeDeps().deps);
  if (result.type !== 'continue') throw new Error('the valid site does not load');
  return result.state;
};

test('load: a valid revision continues with its spec; an invalid one stalls with its diagnostics', async (t) => {
  t.truthy((await loaded()).spec);
  const broken = revisionOf({ ...validSite(), 'nodes/n1.yaml': 'kind: Node\nmetadata: {name: n1}\n' });
  const result = await load.run({ ...initialState(), revision: broken }, fakeDeps().deps);
  t.like(result, { type: 'stall', code: 'RevisionInvalid' });
  t.true((result.state?.diagnostics.length ?? 0) > 0);
  t.is(result.state?.spec, undefined);
});

test('resolve: with an inventory it reports the final diagnostics; without one, a step waiting for facts continues', async (t) => {
  const { deps, events } = fakeDeps();
  const resolved = await resolve.run({ ...(await loaded()), inventory: emptyInventory() }, deps);
  t.is(resolved.type, 'continue');
  t.truthy(resolved.type === 'continue' && resolved.state.desired);
  t.like(events[0], { type: 'resolved', final: true });

  const facts = testSpec([
    node('n1', '10.0.0.1'),
    moduleDoc('web', { inputs: { host: { type: 'string' } }, resources: [{ file: { path: '/etc/web.conf', content: '{{ inputs.host }}' } }] }),
    clusterDoc('c', { nodes: {}, steps: [{ name: 'web', module: 'web', with: { host: { fact: 'hostname' } } }] }),
  ]);
  const pending = await resolve.run({ ...initialState(), revision, spec: facts }, deps);
  t.is(pending.type, 'continue', 'it waits for the observation');
  t.deepEqual(pending.type === 'continue' ? pending.state.pendingSteps.map((s) => s.step) : [], ['web']);
  t.like(events[1], { type: 'resolved', final: false });
  const missing = await resolve.run({ ...initialState(), revision, spec: facts, inventory: emptyInventory() }, deps);
  t.like(missing, { type: 'stall', code: 'ResolveFailed' });
  t.like(events[2], { type: 'resolved', final: true });
});

/** A transport that reaches no node, counting the probes sent to each. */
function unreachable(): { transport: Transport; probes: string[] } {
  const probes: string[] = [];
  return { probes, transport: { exec: (node) => (probes.push(node.name), Promise.reject(new Error('no route to host'))), close: () => Promise.resolve() } };
}

test('observe: one probe per node of what resolve wants', async (t) => {
  const { transport, probes } = unreachable();
  const resolved = await resolve.run(await loaded(), fakeDeps().deps);
  if (resolved.type !== 'continue') return t.fail('the valid site does not resolve');
  const observed = await observe.run(resolved.state, fakeDeps(transport).deps);
  t.deepEqual(probes, ['n1']);
  t.like(observed.type === 'continue' ? observed.state.inventory?.nodes.n1 : undefined, { reachable: false });
});

test('observe: with steps waiting for facts, the nodes are probed for facts first; the inventory is those facts when they do not resolve', async (t) => {
  const spec = testSpec([
    node('n1', '10.0.0.1'),
    node('n2', '10.0.0.2'),
    moduleDoc('web', { inputs: { host: { type: 'string' } }, resources: [{ file: { path: '/etc/web.conf', content: '{{ inputs.host }}' } }] }),
    clusterDoc('c', { nodes: {}, steps: [{ name: 'web', module: 'web', with: { host: { fact: 'hostname' } } }] }),
  ]);
  const { transport, probes } = unreachable();
  const observed = await observe.run({ ...initialState(), revision, spec, pendingSteps: [{ cluster: 'c', step: 'web', nodes: ['n1', 'n2'] }] }, fakeDeps(transport).deps);
  t.deepEqual(probes.sort(), ['n1', 'n2'], 'one fact probe per node, and no second probe for a site that does not resolve');
  t.deepEqual(Object.keys(observed.type === 'continue' ? (observed.state.inventory?.nodes ?? {}) : {}), ['n1', 'n2']);
});

test('plan: the plan of what resolve wants against the inventory, as makePlan makes it', async (t) => {
  const inventory = emptyInventory();
  const resolved = await resolve.run({ ...(await loaded()), inventory }, fakeDeps().deps);
  if (resolved.type !== 'continue' || !resolved.state.desired) return t.fail('the valid site does not resolve');
  const planned = await plan({ observation: 'none' }).run(resolved.state, fakeDeps().deps);
  t.deepEqual(planned.type === 'continue' ? planned.state.plan : undefined, makePlan(resolved.state.desired, inventory, { registry, observation: 'none' }));
});

test('decide: a fresh plan is decided; a saved plan is decided only while its nodes are as it found them', async (t) => {
  const inventory = emptyInventory();
  const resolved = await resolve.run({ ...(await loaded()), inventory }, fakeDeps().deps);
  if (resolved.type !== 'continue' || !resolved.state.desired) return t.fail('the valid site does not resolve');
  const saved = makePlan(resolved.state.desired, inventory, { registry });
  const { deps, events } = fakeDeps();
  t.like(await decide().run({ ...resolved.state, plan: saved }, deps), { type: 'continue' });
  t.like(await decide(saved).run(resolved.state, deps), { type: 'continue' });
  t.deepEqual(events.map((e) => e.type), ['plan-decided', 'plan-decided']);

  const moved: Inventory = { ...inventory, nodes: { n1: { reachable: false, error: 'no route to host', facts: {}, managed: {}, resources: {} } } };
  const stale = await decide(saved).run({ ...resolved.state, inventory: moved }, deps);
  t.like(stale, { type: 'stall', code: 'PlanStale' });
  t.regex(stale.type === 'stall' ? stale.message : '', /these nodes changed since it was made: n1/);
  t.is(events.length, 2, 'a stale plan is not decided');
});
