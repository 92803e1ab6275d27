/**
 * The pure half of the pipeline in one call: Revision -> Spec -> Desired -> Plan. Every stage's
 * diagnostics are returned together; a plan is produced only when there are no errors.
 */
import { knownAllocations, type Inventory } from '../model/observed.js';
import { loadSpec } from '../load/load-spec.js';
import { makePlan, type PlanOptions } from '../plan/make-plan.js';
import type { Plan } from '../model/plan.js';
import type { Desired } from '../model/desired.js';
import { resolveSite, type PendingStep } from '../resolve/resolve-site.js';
import { ipamObservation } from '../resolve/ipam-observation.js';
import type { Revision } from '../source/revision.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../spec/diagnostic.js';
import type { Spec } from '../spec/spec.js';

export interface PlanRevisionResult {
  spec: Spec | null;
  desired: Desired | null;
  plan: Plan | null;
  diagnostics: Diagnostic[];
  /** Without an inventory: steps left for plan time, because they need facts only an observation holds. */
  pendingSteps: PendingStep[];
}

/** Observed facts per node, as resolve wants them: what the probe found, for `{fact: ...}` inputs. */
export function observedFacts(inventory: Inventory): Record<string, Record<string, unknown>> {
  const facts: Record<string, Record<string, unknown>> = {};
  for (const [name, node] of Object.entries(inventory.nodes)) facts[name] = node.facts;
  return facts;
}

export interface ResolvedSpec {
  desired: Desired | null;
  /** Load's and resolve's, sorted. */
  diagnostics: Diagnostic[];
  /** Without an inventory: steps left for plan time, because they need facts only an observation holds. */
  pendingSteps: PendingStep[];
}

/**
 * A loaded spec resolved against what an inventory observed. Without an inventory nothing is observed yet:
 * inputs reading observed facts (and the steps built on them) are left for plan time, with a warning saying
 * which checks wait with them, rather than reported missing.
 */
export function resolveLoaded(spec: Spec, loadDiagnostics: readonly Diagnostic[], inventory?: Inventory): ResolvedSpec {
  const resolved = inventory
    ? resolveSite(spec, observedFacts(inventory), knownAllocations(inventory), { ipam: ipamObservation(inventory) })
    : resolveSite(spec, {}, {}, { factsPending: true });
  const diagnostics = sortDiagnostics([...loadDiagnostics, ...resolved.diagnostics]);
  return { desired: hasErrors(diagnostics) ? null : resolved.desired, diagnostics, pendingSteps: resolved.pendingSteps };
}

/** Load and resolve in one call (see resolveLoaded for what happens without an inventory). */
export function validateRevision(revision: Revision, inventory?: Inventory): Omit<PlanRevisionResult, 'plan'> {
  const loaded = loadSpec(revision);
  if (!loaded.spec || hasErrors(loaded.diagnostics)) {
    return { spec: loaded.spec, desired: null, diagnostics: sortDiagnostics(loaded.diagnostics), pendingSteps: [] };
  }
  return { spec: loaded.spec, ...resolveLoaded(loaded.spec, loaded.diagnostics, inventory) };
}

export function planRevision(revision: Revision, inventory: Inventory, options: PlanOptions): PlanRevisionResult {
  const validated = validateRevision(revision, inventory);
  if (!validated.desired) return { ...validated, plan: null };
  return { ...validated, plan: makePlan(validated.desired, inventory, options) };
}
