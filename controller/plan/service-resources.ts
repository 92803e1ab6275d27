/**
 * Diffs the site-level resources (address allocations, DNS records) against what the inventory recorded in
 * the services. They are kept in the same plan as node resources so a new address flows into the run.
 */
import type { Inventory } from '../inventory/inventory.js';
import type { DesiredServiceResource } from '../model/desired.js';
import type { Change } from '../model/change.js';

function change(target: string, kind: 'ip' | 'dns', key: string, fields: Omit<Change, 'id' | 'node' | 'kind' | 'key' | 'dependsOn' | 'disruptive'>): Change {
  return { id: `${target}/${key}`, node: target, kind, key, dependsOn: [], disruptive: false, ...fields };
}

function desiredChange(r: DesiredServiceResource, observed: string | undefined): Change | null {
  const spec = r.spec;
  const value = spec.kind === 'ip' ? spec.address : spec.value;
  if (observed === value) return null;
  const owner = { cluster: r.origin.cluster, step: r.origin.step };
  const after = { ...spec } as Record<string, unknown>;
  const field = spec.kind === 'ip' ? 'address' : 'value';
  if (observed === undefined) {
    const reason = spec.kind === 'ip' ? `allocate ${value} from pool ${spec.pool}` : `record ${spec.name} ${spec.type} ${value} does not exist`;
    return change(r.target, spec.kind, r.key, { action: 'create', reason, before: null, after, ...owner });
  }
  return change(r.target, spec.kind, r.key, { action: 'update', reason: `${field} ${observed} -> ${value}`, before: { [field]: observed }, after, ...owner });
}

export function diffServiceResources(desired: readonly DesiredServiceResource[], services: Inventory['services']): Change[] {
  const out: Change[] = [];
  const wanted = new Set<string>();
  for (const r of desired) {
    wanted.add(r.key);
    const observed = r.spec.kind === 'ip' ? services.allocations[r.key.slice('ip:'.length)] : services.dnsRecords[r.key];
    const c = desiredChange(r, observed);
    if (c) out.push(c);
  }
  // Everything in the allocation ledger and the DNS record list was written by underlay, so it is pruned.
  for (const [poolAndName, address] of Object.entries(services.allocations)) {
    const key = `ip:${poolAndName}`;
    if (wanted.has(key)) continue;
    const pool = poolAndName.slice(0, poolAndName.indexOf('/'));
    out.push(change(`pool:${pool}`, 'ip', key, { action: 'delete', reason: `no longer in Git: release ${address}`, before: { address }, after: null }));
  }
  for (const [key, value] of Object.entries(services.dnsRecords)) {
    if (wanted.has(key)) continue;
    const zone = key.slice('dns:'.length, key.indexOf('/'));
    out.push(change(`zone:${zone}`, 'dns', key, { action: 'delete', reason: `no longer in Git: remove record (${value})`, before: { value }, after: null }));
  }
  // A record pointing at a newly allocated address waits for the allocation.
  const allocationByAddress = new Map<string, string>();
  for (const c of out) if (c.kind === 'ip' && c.action !== 'delete') allocationByAddress.set(String(c.after?.address), c.id);
  for (const c of out) {
    const dep = c.kind === 'dns' && c.after ? allocationByAddress.get(String(c.after.value)) : undefined;
    if (dep) c.dependsOn.push(dep);
  }
  return out;
}
