import type { NodeDoc, NodeSelector } from '../spec/schema.js';

/** Every condition must hold: all listed labels equal, all listed roles present, name listed (when names are given). */
export function selectorMatches(selector: NodeSelector | undefined, node: NodeDoc): boolean {
  if (!selector) return true;
  const labels = node.metadata.labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const role of selector.roles ?? []) {
    if (!node.spec.roles.includes(role)) return false;
  }
  if (selector.names && !selector.names.includes(node.metadata.name)) return false;
  return true;
}

/** Names of the nodes a selector picks out of `nodes`, sorted. */
export function selectNodes(selector: NodeSelector | undefined, nodes: readonly NodeDoc[]): string[] {
  return nodes
    .filter((n) => selectorMatches(selector, n))
    .map((n) => n.metadata.name)
    .sort();
}
