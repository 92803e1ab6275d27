/**
 * Diffs the site-level resources (address allocations, DNS records) against what the inventory recorded in
 * the services, each by its kind. They are kept in the same plan as node resources so a new address flows
 * into the run.
 */
import type { Change } from '../model/change.js';
import type { DesiredServiceResource } from '../model/desired.js';
import type { ServiceInventory } from '../model/observed.js';
import { targetLabel, type Target } from '../model/target.js';
import type { DiffResult } from '../../reconcilers/kind.js';
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
  return { id: `${targetLabel(target)}/${key}`, target, kind, key, dependsOn: [], disruptive: false, action, reason, before, after, ...owner };
}

export function diffServiceResources(desired: readonly DesiredServiceResource[], services: ServiceInventory, registry: KindRegistry): Change[] {
  const observed = new Map(registry.serviceKinds.map((k) => [k.kind, k.observed(services)]));
  const out = [...diffWanted(desired, observed, registry), ...diffPruned(new Set(desired.map((r) => r.key)), observed, registry)];
  linkAwaitedValues(out, registry);
  return out;
}

type ObservedByKind = ReadonlyMap<string, Record<string, string>>;

function diffWanted(desired: readonly DesiredServiceResource[], observed: ObservedByKind, registry: KindRegistry): Change[] {
  const out: Change[] = [];
  for (const r of desired) {
    const kind = registry.serviceKind(r.spec.kind);
    if (!kind) throw new TypeError(`${r.key}: no service resource kind ${JSON.stringify(r.spec.kind)}`);
    const result = kind.diff({ desired: r.spec, observed: observed.get(kind.kind)?.[r.key] });
    if (result) out.push(change({ target: r.target, kind: kind.kind, key: r.key, result, owner: { cluster: r.origin.cluster, step: r.origin.step } }));
  }
  return out;
}

/** Everything the services recorded was written by underlay, so what Git no longer wants is pruned. */
function diffPruned(wanted: ReadonlySet<string>, observed: ObservedByKind, registry: KindRegistry): Change[] {
  const out: Change[] = [];
  for (const kind of registry.serviceKinds) {
    for (const [key, value] of Object.entries(observed.get(kind.kind) ?? {})) {
      if (wanted.has(key)) continue;
      const result = kind.diff({ desired: null, observed: value });
      if (result) out.push(change({ target: kind.targetOf(key), kind: kind.kind, key, result, owner: {} }));
    }
  }
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
