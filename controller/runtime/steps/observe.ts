/**
 * Observe: one probe per node of what resolve wants, into an Inventory. When resolve left steps waiting for
 * facts only the nodes know, the nodes are probed for their facts first and resolved with them, so that the
 * real probe covers what those steps render; the resolve after this step reports what that found.
 */
import type { Desired } from '../../model/desired.js';
import { observeSite } from '../../observe/observe-site.js';
import { bareNodes } from '../../pipeline/node-findings.js';
import { resolveLoaded } from '../../pipeline/plan-revision.js';
import { siteIdOf } from '../../spec/spec.js';
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export const observe: RuntimeStep = {
  name: 'observe',
  async run(state, deps) {
    const spec = required(state.spec, 'a loaded spec', 'observe');
    const transport = await deps.transport.get(required(state.revision, 'a revision', 'observe'));
    const targets = (await deps.targets?.get(siteIdOf(spec))) ?? {};
    const secrets = await deps.secrets?.get(siteIdOf(spec));
    const options = { registry: deps.registry, transport, targets, concurrency: deps.concurrency, clock: deps.clock, ...(secrets ? { secrets } : {}) };
    if (state.desired) return proceed({ ...state, inventory: await observeSite({ ...options, desired: state.desired }) });
    const factProbe: Desired = { revision: spec.revision, site: siteIdOf(spec), nodes: bareNodes(spec), services: [], clusters: [] };
    const facts = await observeSite({ ...options, desired: factProbe });
    const resolved = resolveLoaded(spec, state.loadDiagnostics, facts);
    if (!resolved.desired) return proceed({ ...state, inventory: facts });
    return proceed({ ...state, inventory: await observeSite({ ...options, desired: resolved.desired, previous: facts }) });
  },
};
