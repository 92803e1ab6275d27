/** A cluster's members as allocation sees them: what its selector picks, less decommissioned nodes (they leave it). */
import { selectNodes } from '../spec/node-selector.js';
import type { NodeSelector } from '../spec/schema.js';
import type { Spec } from '../spec/spec.js';
import type { NodeView } from './input-sources.js';

export function stayingMembers(spec: Spec, views: readonly NodeView[], selector: NodeSelector): NodeView[] {
  return selectNodes(views, selector).filter((n) => spec.nodes[n.name]?.doc.spec.decommission !== true);
}
