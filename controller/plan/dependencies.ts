/**
 * Dependency edges between changes. Desired resources say what they wait for (by address); an edge to a
 * resource that does not change is followed through to what *it* waits for, so ordering survives
 * unchanged links in the chain. Deletes have no desired edges, so they are ordered by their kinds' order
 * facets and paths: services stop before the files they used go, and a directory goes only after everything inside it.
 */
import type { DesiredNode, DesiredResource } from '../model/desired.js';
import { keyIdentity, resourceAddress } from '../model/resource-key.js';
import type { NodeKind } from '../../reconcilers/kind.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import type { Change } from '../model/change.js';

const EMPTY: readonly string[] = [];

export class DependencyMapper {
  /** By address; built on the first edge to an unchanged resource (a first apply changes everything, so never). */
  private resources: Map<string, DesiredResource> | undefined;
  private readonly throughUnchanged = new Map<string, readonly string[]>();

  constructor(
    private readonly nodes: readonly DesiredNode[],
    private readonly changesByAddress: ReadonlyMap<string, Change>,
  ) {}

  /** Change ids a resource's dependency list stands for. */
  changeIdsOf(dependsOn: readonly string[]): string[] {
    const out: string[] = [];
    for (const address of dependsOn) out.push(...this.idsFor(address));
    return out;
  }

  private idsFor(address: string): readonly string[] {
    const c = this.changesByAddress.get(address);
    if (c) return [c.id];
    const memo = this.throughUnchanged.get(address);
    if (memo) return memo;
    const r = this.resourceAt(address);
    if (!r || r.dependsOn.length === 0) return EMPTY;
    // Marked before recursing, so a cycle in Desired ends here instead of overflowing the stack.
    this.throughUnchanged.set(address, EMPTY);
    const ids = [...new Set(this.changeIdsOf(r.dependsOn))];
    this.throughUnchanged.set(address, ids);
    return ids;
  }

  resourceAt(address: string): DesiredResource | undefined {
    if (!this.resources) {
      this.resources = new Map();
      for (const node of this.nodes) for (const r of node.resources) this.resources.set(resourceAddress(node.name, r.key), r);
    }
    return this.resources.get(address);
  }
}

function isUnder(path: unknown, dir: unknown): boolean {
  return typeof path === 'string' && typeof dir === 'string' && path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

function pathOf(c: Change): unknown {
  return c.before?.path ?? keyIdentity(c.key);
}

type OrderOf = (c: Change) => NodeKind['order'] | undefined;

/** Edges among one node's deletes (and from a replacing resource to the one it replaces), by each kind's order facet. */
export function orderNodeDeletes(changes: readonly Change[], registry: KindRegistry): void {
  const deletes = changes.filter((c) => c.action === 'delete');
  if (deletes.length === 0) return;
  const orderOf: OrderOf = (c) => registry.nodeKind(c.kind)?.order;
  orderContentDeletes(deletes, orderOf);
  // A swapped module's service (containerd -> crio) stops before its replacement starts.
  for (const c of changes) {
    if ((c.action !== 'create' && c.action !== 'update') || !orderOf(c)?.startsAfterDeletesOfItsKind) continue;
    for (const d of deletes) if (d.kind === c.kind && orderOf(d)?.deletes === 'stop') c.dependsOn.push(d.id);
  }
}

/** Content goes after the node's stops, and an enclosing directory after the content deletes under it. */
function orderContentDeletes(deletes: readonly Change[], orderOf: OrderOf): void {
  const stopIds = deletes.filter((c) => orderOf(c)?.deletes === 'stop').map((c) => c.id);
  const contents = deletes.filter((c) => orderOf(c)?.deletes === 'content');
  for (const c of contents) {
    c.dependsOn.push(...stopIds);
    if (!orderOf(c)?.encloses) continue;
    const dir = pathOf(c);
    for (const inner of contents) if (inner !== c && isUnder(pathOf(inner), dir)) c.dependsOn.push(inner.id);
  }
}
