/**
 * What the clusters ask of the pools: one claim per `cluster.addresses` entry, or one per node for a
 * per-node entry, with the node that holds it (a VIP's holder is the first cluster node, by name, its
 * selector picks). Claims come in one order (clusters by name, entries as written, nodes by name), so
 * allocation is the same whatever order the documents or the nodes were written in.
 */
import type { SourceLocation } from '../model/source-location.js';
import { selectNodes } from '../spec/node-selector.js';
import type { Spec } from '../spec/spec.js';
import type { DiagnosticSink } from './diagnostic-sink.js';
import type { NodeView } from './input-sources.js';
import { fieldPath } from '../spec/diagnostic.js';
import { stayingMembers } from './cluster-members.js';

export interface AddressClaim {
  pool: string;
  /** The ledger's name: '<cluster>.<entry>', or '<cluster>.<entry>.<node>' for a per-node address. */
  name: string;
  cluster: string;
  /** The entry's name: what its holder reads as `{fact: allocated.<entry>}`. */
  entry: string;
  /** The node that holds it on `interface`, if any. */
  holder?: { node: string; interface: string };
  /** One of a per-node entry's claims: only its holder reads it. */
  perNode?: true;
  /** Where the entry is, and its field path. */
  location: SourceLocation;
  field: string;
}

export function addressClaims(spec: Spec, views: readonly NodeView[], sink: DiagnosticSink): AddressClaim[] {
  const out: AddressClaim[] = [];
  for (const cluster of Object.keys(spec.clusters).sort()) {
    const doc = spec.clusters[cluster]!;
    // A decommissioned node leaves its clusters: its per-node address is released, a VIP it held moves on.
    const members = stayingMembers(spec, views, doc.doc.spec.nodes);
    doc.doc.spec.addresses.forEach((entry, i) => {
      const path = ['spec', 'addresses', i];
      const place = { cluster, entry: entry.name, pool: entry.pool, location: doc.locate(path), field: fieldPath(path) };
      if (entry.perNode) {
        const { location, field } = place;
        const prefix = `${cluster}.${entry.name}.`;
        for (const node of selectNodes(members, entry.perNode)) {
          out.push({ pool: entry.pool, name: prefix + node.name, cluster, entry: entry.name, holder: { node: node.name, interface: entry.interface! }, perNode: true, location, field });
        }
        return;
      }
      const claim: AddressClaim = { ...place, name: `${cluster}.${entry.name}` };
      if (entry.holder) {
        const holder = selectNodes(members, entry.holder)[0];
        if (holder) claim.holder = { node: holder.name, interface: entry.interface! };
        else sink.warning('NoAddressHolder', `no node of cluster "${cluster}" matches the holder of address "${entry.name}": it is allocated but brought up nowhere`, { location: place.location, field: place.field });
      }
      out.push(claim);
    });
  }
  return out;
}
