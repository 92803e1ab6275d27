/**
 * A node reached through a bastion (`ssh.via`) needs the bastion first; when the bastions lead back to the
 * node (node1 via node2 via node1), no node of the loop can ever be reached. Each node of the loop is told,
 * since each one's `via` is a place the loop can be broken. A node that is its own bastion is a dangling
 * reference (references.ts), not repeated here.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { findCycles } from './graph-cycles.js';

export function checkBastionCycles(catalog: Catalog): Diagnostic[] {
  const names = Object.keys(catalog.nodes).sort();
  const bastionOf = (name: string): { to: string }[] => {
    const via = catalog.nodes[name]!.doc.spec.ssh.via;
    return via !== undefined && via !== name && via in catalog.nodes ? [{ to: via }] : [];
  };
  const out: Diagnostic[] = [];
  for (const cycle of findCycles(names, bastionOf)) {
    const loop = [...cycle.map((s) => s.from), cycle[0]!.from].join(' -> ');
    for (const { from } of cycle) {
      out.push(diagnosticAt(catalog.nodes[from]!, ['spec', 'ssh', 'via'], 'BastionCycle', `ssh.via: the bastions lead back to this node (${loop}), so none of them can be reached`));
    }
  }
  return out;
}
