/**
 * The pure half of the pipeline in one call: Revision -> Spec -> Desired -> Plan. Every stage's
 * diagnostics are returned together; a plan is produced only when there are no errors.
 */
import type { Inventory } from '../model/observed.js';
import { loadSpec } from '../load/load-spec.js';
import { makePlan, type PlanOptions } from '../plan/make-plan.js';
import type { Plan } from '../model/plan.js';
import type { Desired } from '../model/desired.js';
import { resolveSite } from '../resolve/resolve-site.js';
import type { Revision } from '../source/revision.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../spec/diagnostic.js';
import type { Spec } from '../spec/spec.js';

export interface PlanRevisionResult {
  spec: Spec | null;
  desired: Desired | null;
  plan: Plan | null;
  diagnostics: Diagnostic[];
}

/** Observed facts per node, as resolve wants them: what the probe found, for `{fact: ...}` inputs. */
export function observedFacts(inventory: Inventory): Record<string, Record<string, unknown>> {
  const facts: Record<string, Record<string, unknown>> = {};
  for (const [name, node] of Object.entries(inventory.nodes)) facts[name] = node.facts;
  return facts;
}

export function validateRevision(revision: Revision, inventory?: Inventory): Omit<PlanRevisionResult, 'plan'> {
  const loaded = loadSpec(revision);
  if (!loaded.spec || hasErrors(loaded.diagnostics)) {
    return { spec: loaded.spec, desired: null, diagnostics: sortDiagnostics(loaded.diagnostics) };
  }
  const resolved = resolveSite(
    loaded.spec,
    inventory ? observedFacts(inventory) : {},
    inventory?.services.allocations ?? {},
  );
  const diagnostics = sortDiagnostics([...loaded.diagnostics, ...resolved.diagnostics]);
  return { spec: loaded.spec, desired: hasErrors(diagnostics) ? null : resolved.desired, diagnostics };
}

export function planRevision(revision: Revision, inventory: Inventory, options: PlanOptions): PlanRevisionResult {
  const validated = validateRevision(revision, inventory);
  if (!validated.desired) return { ...validated, plan: null };
  return { ...validated, plan: makePlan(validated.desired, inventory, options) };
}
