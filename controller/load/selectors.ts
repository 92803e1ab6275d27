/**
 * A selector that matches no node is legal (nodes come and go) but usually a typo in a label or role, so it
 * is a warning, not an error.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { NodeDoc } from '../spec/schema.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { classifyStepInput } from './input-reference.js';
import { selectNodes } from './node-selector.js';

export function checkSelectors(catalog: Catalog): Diagnostic[] {
  const out: Diagnostic[] = [];
  const allNodes = Object.keys(catalog.nodes).sort().map((n) => catalog.nodes[n]!.doc);
  for (const name of Object.keys(catalog.clusters).sort()) {
    const cluster = catalog.clusters[name]!;
    const warn = (path: (string | number)[], what: string): void => {
      out.push(diagnosticAt(cluster, path, 'SelectorMatchesNothing', `${what} selector matches no node`));
    };
    const members = selectNodes(cluster.doc.spec.nodes, allNodes);
    if (members.length === 0) {
      warn(['spec', 'nodes'], `cluster "${name}"`);
      continue;
    }
    // A set, not members.includes: that was quadratic in the site's size (10,000 nodes: 10^8 comparisons).
    const memberNames = new Set(members);
    const memberDocs: NodeDoc[] = allNodes.filter((n) => memberNames.has(n.metadata.name));
    cluster.doc.spec.steps.forEach((step, i) => {
      if (step.nodes && selectNodes(step.nodes, memberDocs).length === 0) warn(['spec', 'steps', i, 'nodes'], `step "${step.name}"`);
      for (const key of Object.keys(step.with).sort()) {
        const input = classifyStepInput(step.with[key]);
        if (input.type !== 'reference' || !('nodes' in input.source) || !input.source.nodes) continue;
        if (selectNodes(input.source.nodes, memberDocs).length === 0) warn(['spec', 'steps', i, 'with', key, 'nodes'], `input "${key}" of step "${step.name}"`);
      }
    });
  }
  return out;
}
