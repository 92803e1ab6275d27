/**
 * Diffs the site-level resources (address allocations, DNS records) against what the inventory recorded in
 * the services, each by its kind. They are kept in the same plan as node resources so a new address flows
 * into the run.
 */
import type { Change } from '../model/change.js';
import type { Desired } from '../model/desired.js';
import type { ServiceInventory } from '../model/observed.js';
import { targetLabel, type Target } from '../model/target.js';
import type { DiffResult, ServiceTargetFindings } from '../../reconcilers/kind.js';
import type { KindRegistry } from '../../reconcilers/registry.js';

interface ServiceChangeInput {
  target: Target;
  kind: string;
  key: string;
  result: DiffResult;
  owner: Pick<Change, 'cluster' | 'step'>;
}

function change({ target, kind, key, result, owner }: ServiceChangeInput): Change {
  const { action, reason, before, after } = result;
  return { id: `${targetLabel(target)}/${key}`, target, kind, key, dependsOn: [], disruptive: false, action, reason, before, after, ...(result.drift === true ? { drift: true } : {}), ...owner };
}

export interface ServicePlan {
  changes: Change[];
  /** Targets not planned (unread), records held by others, prunes a policy keeps: what a reader must see. */
  warnings: string[];
}

const NO_FINDINGS: ServiceTargetFindings = { unobserved: {}, heldElsewhere: {}, editedOutside: new Set() };

/** Desired resources against what their targets hold, each by its kind; a target that could not be read gets no change. */
interface DiffScope {
  desired: Desired;
  registry: KindRegistry;
  /** By kind: what the inventory recorded (key -> value), and what the targets say beyond it. */
  observed: ReadonlyMap<string, Record<string, string>>;
  findings: ReadonlyMap<string, ServiceTargetFindings>;
  out: ServicePlan;
}

function diffDesired({ desired, registry, observed, findings, out }: DiffScope): void {
  for (const r of desired.services) {
    const kind = registry.serviceKind(r.spec.kind);
    if (!kind) throw new TypeError(`${r.key}: no service resource kind ${JSON.stringify(r.spec.kind)}`);
    const found = findings.get(kind.kind) ?? NO_FINDINGS;
    if (found.unobserved[r.target.name] !== undefined) continue;
    const value = observed.get(kind.kind)?.[r.key];
    const whose = found.heldElsewhere[r.key];
    if (value === undefined && whose !== undefined) {
      out.warnings.push(`${targetLabel(r.target)}: conflict: ${r.key} is wanted by Git but ${whose}: left untouched`);
      continue;
    }
    const result = kind.diff({ desired: r.spec, observed: value, editedOutside: found.editedOutside.has(r.key), writtenMark: found.writtenMarks?.get(r.key) });
    if (result) out.changes.push(change({ target: r.target, kind: kind.kind, key: r.key, result, owner: { cluster: r.origin.cluster, step: r.origin.step } }));
  }
}

/** What the services recorded was written by underlay, so what Git no longer wants is pruned, unless its target's policy keeps it. */
function diffPrunes({ desired, registry, observed, findings, out }: DiffScope): void {
  const wanted = new Set(desired.services.map((r) => r.key));
  for (const kind of registry.serviceKinds) {
    const found = findings.get(kind.kind) ?? NO_FINDINGS;
    const kept = new Map<string, number>();
    for (const [key, value] of Object.entries(observed.get(kind.kind) ?? {})) {
      const target = kind.targetOf(key);
      if (wanted.has(key) || found.unobserved[target.name] !== undefined) continue;
      const keeps = kind.keeps?.(target, desired);
      if (keeps !== undefined) {
        kept.set(keeps, (kept.get(keeps) ?? 0) + 1);
        continue;
      }
      const result = kind.diff({ desired: null, observed: value, editedOutside: found.editedOutside.has(key) });
      if (result) out.changes.push(change({ target, kind: kind.kind, key, result, owner: {} }));
    }
    for (const [why, count] of kept) out.warnings.push(`${why}: ${count} record(s) no longer in Git are kept`);
  }
}

export function diffServiceResources(desired: Desired, services: ServiceInventory, registry: KindRegistry): ServicePlan {
  const out: ServicePlan = { changes: [], warnings: [] };
  const observed = new Map(registry.serviceKinds.map((k) => [k.kind, k.observed(services)]));
  const findings = new Map(registry.serviceKinds.flatMap((k) => (k.findings ? [[k.kind, k.findings(services)] as const] : [])));
  for (const found of findings.values()) {
    for (const why of Object.values(found.unobserved)) out.warnings.push(`${why}: no changes planned for it`);
    out.warnings.push(...Object.values(found.assumedEmpty ?? {}));
  }
  const scope = { desired, registry, observed, findings, out };
  diffDesired(scope);
  diffPrunes(scope);
  linkAwaitedValues(out.changes, registry);
  return out;
}

/** A change that awaits a value another change of the plan provides (a record pointing at a newly allocated address) waits for it. */
function linkAwaitedValues(changes: readonly Change[], registry: KindRegistry): void {
  const providers = new Map<string, string>();
  for (const c of changes) {
    const value = registry.serviceKind(c.kind)?.order.provides?.(c);
    if (value !== undefined) providers.set(value, c.id);
  }
  for (const c of changes) {
    const value = registry.serviceKind(c.kind)?.order.awaits?.(c);
    const dep = value === undefined ? undefined : providers.get(value);
    if (dep) c.dependsOn.push(dep);
  }
}

/**
 * A change whose target is served by a node resource of the site (a zone by the node's named) waits for
 * that resource's change in the same plan: its server is installed, or restarted, before it is written to.
 * `nodeChanges` is by resource address (a restart's is its resource's).
 */
export function linkTargetServers(changes: readonly Change[], desired: Desired, nodeChanges: ReadonlyMap<string, Change>, registry: KindRegistry): void {
  for (const c of changes) {
    const server = registry.serviceKind(c.kind)?.order.servedBy?.(c.target, desired);
    const dep = server === undefined ? undefined : nodeChanges.get(server);
    if (dep) c.dependsOn.push(dep.id);
  }
}
