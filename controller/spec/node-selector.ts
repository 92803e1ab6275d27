/** Node selection, the format's one definition of it: load checks selectors with it, resolve evaluates them. */
import type { ClusterStep, NodeDoc, NodeSelector } from './schema.js';

export interface SelectableNode {
  name: string;
  roles: readonly string[];
  labels: Readonly<Record<string, string>>;
}

/** A Node document as selectors see it. */
export function selectableNode(doc: NodeDoc): SelectableNode {
  return { name: doc.metadata.name, roles: doc.spec.roles, labels: doc.metadata.labels ?? {} };
}

/** Every condition must hold; an absent or empty selector selects every node. */
export function matchesSelector(node: SelectableNode, selector: NodeSelector | undefined): boolean {
  if (!selector) return true;
  if (selector.names && !selector.names.includes(node.name)) return false;
  if (selector.roles && !selector.roles.every((r) => node.roles.includes(r))) return false;
  if (selector.matchLabels) {
    for (const [k, v] of Object.entries(selector.matchLabels)) if (node.labels[k] !== v) return false;
  }
  return true;
}

/** The matching nodes, in the order given (callers pass them sorted by name). */
export function selectNodes<N extends SelectableNode>(nodes: readonly N[], selector: NodeSelector | undefined): N[] {
  return nodes.filter((n) => matchesSelector(n, selector));
}

/**
 * The nodes a cluster step runs on: the members its selector picks (all of them, callers pass them sorted by
 * name), or with `pick: first` only the first, so a step that must run once per cluster runs on one named,
 * predictable member.
 */
export function nodesOfStep<N extends SelectableNode>(members: readonly N[], step: Pick<ClusterStep, 'nodes' | 'pick'>): N[] {
  const selected = selectNodes(members, step.nodes);
  return step.pick === 'first' ? selected.slice(0, 1) : selected;
}
