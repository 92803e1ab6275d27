/**
 * A selector that matches no node is legal (nodes come and go) but usually a typo in a label or role, so it
 * is a warning, not an error; a step that says it may run on no node (`allowNoNodes`) is not warned about.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import { selectableNode, selectNodes, type SelectableNode } from '../spec/node-selector.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { classifyStepInput } from './input-reference.js';

export function checkSelectors(catalog: Catalog): Diagnostic[] {
  const out: Diagnostic[] = [];
  const allNodes = Object.keys(catalog.nodes).sort().map((n) => selectableNode(catalog.nodes[n]!.doc));
  for (const name of Object.keys(catalog.clusters).sort()) {
    const cluster = catalog.clusters[name]!;
    const warn = (path: (string | number)[], what: string): void => {
      out.push(diagnosticAt(cluster, path, 'SelectorMatchesNothing', `${what} selector matches no node`));
    };
    const members: SelectableNode[] = selectNodes(allNodes, cluster.doc.spec.nodes);
    if (members.length === 0) {
      warn(['spec', 'nodes'], `cluster "${name}"`);
      continue;
    }
    cluster.doc.spec.steps.forEach((step, i) => {
      if (step.nodes && step.allowNoNodes !== true && selectNodes(members, step.nodes).length === 0) warn(['spec', 'steps', i, 'nodes'], `step "${step.name}"`);
      for (const key of Object.keys(step.with).sort()) {
        const input = classifyStepInput(step.with[key]);
        if (input.type !== 'reference' || !('nodes' in input.source) || !input.source.nodes) continue;
        if (selectNodes(members, input.source.nodes).length === 0) warn(['spec', 'steps', i, 'with', key, 'nodes'], `input "${key}" of step "${step.name}"`);
      }
    });
  }
  return out;
}
