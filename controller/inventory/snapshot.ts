/**
 * An inventory as a snapshot to publish (`underlay inventory`, the controller's API and file): what CI plans a
 * pull request against, offline. It carries hashes, not contents: a resource observed with its text as well
 * as the sha256 that stands for it keeps only the hash, unless contents are asked for, so a snapshot handed
 * to every pull request's job holds no file's text. (The probe reads no content today; this keeps it so
 * whatever a probe learns to read.) No secret is ever in an observation: a secret file is observed as a
 * verdict against a keyed digest (`current`, `differs`, `unknown`), never its bytes or a plain hash of them.
 */
import { canonicalJson } from '../model/canonical-json.js';
import type { Inventory, InventoryNode, ObservedResource } from '../model/observed.js';

export interface SnapshotOptions {
  /** Keep the text of resources observed with it (a file's content beside its sha256). */
  withContents?: boolean;
}

/** The text stands beside its hash only where the hash says what it is: there the hash is enough. */
function withoutContent(resource: ObservedResource): ObservedResource {
  if (typeof resource.content !== 'string' || typeof resource.sha256 !== 'string') return resource;
  const rest: ObservedResource = { ...resource };
  delete rest.content;
  return rest;
}

function nodeSnapshot(node: InventoryNode): InventoryNode {
  const resources = Object.fromEntries(Object.entries(node.resources).map(([key, r]) => [key, withoutContent(r)]));
  return { ...node, resources };
}

export function inventorySnapshot(inventory: Inventory, options: SnapshotOptions = {}): Inventory {
  if (options.withContents) return inventory;
  return { ...inventory, nodes: Object.fromEntries(Object.entries(inventory.nodes).map(([name, node]) => [name, nodeSnapshot(node)])) };
}

/** The snapshot as its file holds it: canonical JSON, two-space indent, a final newline. */
export function renderInventorySnapshot(inventory: Inventory, options: SnapshotOptions = {}): string {
  return `${canonicalJson(inventorySnapshot(inventory, options), 2)}\n`;
}
