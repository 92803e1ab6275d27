import { matchesSelector } from '../spec/node-selector.js';
import type { NodeDoc, NodeSelector } from '../spec/schema.js';

/** Whether a Node document is selected; the semantics live in spec/node-selector.ts. */
export function selectorMatches(selector: NodeSelector | undefined, node: NodeDoc): boolean {
  return matchesSelector({ name: node.metadata.name, roles: node.spec.roles, labels: node.metadata.labels ?? {} }, selector);
}

/** Names of the nodes a selector picks out of `nodes`, sorted. */
export function selectNodes(selector: NodeSelector | undefined, nodes: readonly NodeDoc[]): string[] {
  return nodes
    .filter((n) => selectorMatches(selector, n))
    .map((n) => n.metadata.name)
    .sort();
}
