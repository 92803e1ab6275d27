/**
 * A node reached through a bastion (`ssh.via`) needs the bastion first; when the bastions lead back to the
 * node (node1 via node2 via node1), no node of the loop can ever be reached. Each node of the loop is told,
 * since each one's `via` is a place the loop can be broken. A node that is its own bastion is a dangling
 * reference (references.ts), not repeated here.
 */
import { findCycles } from '../model/graph.js';
import type { Diagnostic } from '../spec/diagnostic.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';

export function checkBastionCycles(catalog: Catalog): Diagnostic[] {
  const names = Object.keys(catalog.nodes).sort();
  const index = new Map(names.map((name, i) => [name, i]));
  const bastionOf = (i: number): { to: number }[] => {
    const via = catalog.nodes[names[i]!]!.doc.spec.ssh.via;
    const to = via === undefined ? undefined : index.get(via);
    return to !== undefined && to !== i ? [{ to }] : [];
  };
  const out: Diagnostic[] = [];
  for (const cycle of findCycles(names.length, bastionOf)) {
    const loop = [...cycle.map((s) => names[s.from]), names[cycle[0]!.from]].join(' -> ');
    for (const { from } of cycle) {
      out.push(diagnosticAt(catalog.nodes[names[from]!]!, ['spec', 'ssh', 'via'], 'BastionCycle', `ssh.via: the bastions lead back to this node (${loop}), so none of them can be reached`));
    }
  }
  return out;
}
