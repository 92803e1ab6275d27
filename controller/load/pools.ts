/**
 * Pools are checked where they are written, not where something allocates from them: every address a pool
 * names (range, gateway, reserved) must be of its CIDR's family and inside it, and a range must not run
 * backwards. Two pools handing out the same address would allocate it twice; overlapping CIDRs are refused.
 */
import { byCodeUnit } from '../model/order.js';
import type { Diagnostic } from '../spec/diagnostic.js';
import { poolLayout } from '../spec/ip-pool.js';
import { overlaps, parseCidr } from '../model/ip.js';
import type { AddressRange } from '../model/ip.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';

export function checkPools(catalog: Catalog): Diagnostic[] {
  const out: Diagnostic[] = [];
  const pools = Object.values(catalog.pools).sort(
    (a, b) => byCodeUnit(a.location.file, b.location.file) || a.location.line - b.location.line,
  );
  const seen: { name: string; range: AddressRange; cidr: string; where: string }[] = [];
  for (const pool of pools) {
    for (const problem of poolLayout(pool.doc.spec).problems) out.push(diagnosticAt(pool, ['spec', ...problem.path], problem.code, problem.message));
    const range = parseCidr(pool.doc.spec.cidr);
    if (!range) continue;
    const clash = seen.find((s) => overlaps(s.range, range));
    if (clash) {
      out.push(diagnosticAt(pool, ['spec', 'cidr'], 'OverlappingPools', `${pool.doc.spec.cidr} overlaps ${clash.cidr} of IPPool "${clash.name}" (${clash.where})`));
    }
    seen.push({ name: pool.doc.metadata.name, range, cidr: pool.doc.spec.cidr, where: `${pool.location.file}:${pool.location.line}` });
  }
  return out;
}
