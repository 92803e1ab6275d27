/**
 * The last good revision's desired state for one failed node (ADR 0026), through the pipeline every plan
 * uses: the revision read from the site's repository (as `plan --base` reads one), loaded, resolved against
 * what this apply observed, the node alone observed again (the failed revision changed it since), resolved
 * with that, and planned. A revision that no longer loads or resolves, or a node that cannot be observed,
 * fails the rollback with why: nothing is re-applied on a guess.
 */
import type { KindRegistry } from '../../reconcilers/registry.js';
import type { Clock } from '../clock.js';
import { loadSpec } from '../load/load-spec.js';
import type { Inventory } from '../model/observed.js';
import { UnderlayError } from '../model/errors.js';
import { observeSite } from '../observe/observe-site.js';
import { resolveLoaded } from '../pipeline/plan-revision.js';
import { makePlan } from '../plan/make-plan.js';
import type { SecretSource } from '../secrets/secret-source.js';
import type { Revision } from '../source/revision.js';
import { hasErrors, type Diagnostic } from '../spec/diagnostic.js';
import type { Transport } from '../transport/transport.js';
import type { RollbackSource } from './rollback-apply.js';

export interface PipelineRollbackDeps {
  /** The site's repository at a commit. */
  readRevision(commit: string): Promise<Revision>;
  /** What this apply observed: the other nodes' facts and the service targets the revision resolves against. */
  inventory: Inventory;
  registry: KindRegistry;
  transport: Transport;
  clock: Clock;
  secrets?: SecretSource;
}

const failure = (revision: string, node: string, why: string): UnderlayError<{ revision: string; node: string }> =>
  new UnderlayError({ code: 'RollbackUnplannable', message: `revision ${revision} cannot be planned for ${node}: ${why}`, data: { revision, node } });

const firstErrors = (diagnostics: readonly Diagnostic[]): string =>
  diagnostics
    .filter((d) => d.severity === 'error')
    .slice(0, 3)
    .map((d) => d.message)
    .join('; ');

export function pipelineRollbackSource(deps: PipelineRollbackDeps): RollbackSource {
  return {
    async planNode({ revision, node }) {
      const loaded = loadSpec(await deps.readRevision(revision));
      if (!loaded.spec) throw failure(revision, node, `it does not load (${firstErrors(loaded.diagnostics)})`);
      const spec = loaded.spec;
      const resolve = (inventory: Inventory) => {
        const resolved = resolveLoaded(spec, loaded.diagnostics, inventory);
        if (!resolved.desired || hasErrors(resolved.diagnostics)) throw failure(revision, node, `it does not resolve (${firstErrors(resolved.diagnostics)})`);
        return resolved.desired;
      };
      const desired = resolve(deps.inventory);
      if (!desired.nodes.some((n) => n.name === node)) throw failure(revision, node, `the node is not in it`);
      const fresh = await observeSite({
        desired: { ...desired, nodes: desired.nodes.filter((n) => n.name === node), services: [] },
        registry: deps.registry,
        transport: deps.transport,
        concurrency: 1,
        clock: deps.clock,
        previous: deps.inventory,
        ...(deps.secrets ? { secrets: deps.secrets } : {}),
      });
      const observed = fresh.nodes[node];
      if (!observed?.reachable) throw failure(revision, node, `the node cannot be observed (${observed?.error ?? 'no answer'})`);
      const inventory: Inventory = { ...deps.inventory, observedAt: fresh.observedAt, nodes: { ...deps.inventory.nodes, [node]: observed } };
      return makePlan(resolve(inventory), inventory, { registry: deps.registry });
    },
  };
}
