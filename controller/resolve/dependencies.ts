/**
 * The order resources must be applied in, as `node/key` addresses: what a plan walks. Derived only from
 * the structure of the site (paths, steps, output references), never from timing.
 */
import { resourceAddress } from '../model/resource-key.js';
import type { NodeKind } from '../../reconcilers/kind.js';
import { registry } from '../../reconcilers/registry.js';
import type { RenderedResource } from './render-module.js';

export interface PlacedResource extends RenderedResource {
  node: string;
  /** The cluster step that rendered it: `<cluster>/<step>`. */
  unit: string;
}

/** What a step's resources wait for, beyond its own files and directories. */
export interface UnitLinks {
  /** Units whose outputs it reads on the same node. */
  sameNode: string[];
  /** Units whose outputs it reads from other nodes, with those nodes. */
  crossNode: { unit: string; nodes: string[] }[];
}

export const unitId = (cluster: string, step: string): string => `${cluster}/${step}`;

/** What a resource's kind says about its order (reconcilers/kind.ts, NodeOrder and Trigger). */
type KindOrder = Pick<NodeKind, 'order' | 'trigger'>;

const ordersByKind = new Map(registry.nodeKinds.map((k): [string, KindOrder] => [k.kind, { order: k.order, trigger: k.trigger }]));

function orderOf(r: PlacedResource): KindOrder {
  const o = ordersByKind.get(r.spec.kind);
  if (!o) throw new TypeError(`${r.key}: no node resource kind ${JSON.stringify(r.spec.kind)}`);
  return o;
}

/** Actors (services, commands) act on the step's content, so they come after it. */
const isContent = (r: PlacedResource): boolean => orderOf(r).order.role === 'content';

/** One node's resources indexed for ordering, built once per node: by unit, their keys, its directories. */
interface NodeIndex {
  units: Map<string, PlacedResource[]>;
  present: ReadonlySet<string>;
  directories: readonly DirectoryPrefix[];
}

function indexNodes(byNode: ReadonlyMap<string, readonly PlacedResource[]>): Map<string, NodeIndex> {
  const index = new Map<string, NodeIndex>();
  for (const [node, resources] of byNode) {
    const units = new Map<string, PlacedResource[]>();
    const directories: DirectoryPrefix[] = [];
    for (const r of resources) {
      let list = units.get(r.unit);
      if (!list) units.set(r.unit, (list = []));
      list.push(r);
      const enclosed = orderOf(r).order.encloses?.(r.spec);
      if (enclosed !== undefined) directories.push({ prefix: `${enclosed.replace(/\/$/, '')}/`, key: r.key });
    }
    index.set(node, { units, present: new Set(resources.map((o) => o.key)), directories });
  }
  return index;
}

/** A step other nodes wait for is "up" when its services (what marks readiness) are; without them, when all of it is applied. */
function readinessKeys(resources: readonly PlacedResource[]): string[] {
  const services = resources.filter((r) => orderOf(r).order.marksReadiness);
  return (services.length > 0 ? services : resources).map((r) => r.key);
}

/** A directory as the prefix its contents' paths start with, worked out once per node rather than per resource. */
interface DirectoryPrefix {
  prefix: string;
  key: string;
}

function sameNodeEdges(r: PlacedResource, at: NodeIndex, links: UnitLinks | undefined): Set<string> {
  const deps = new Set<string>();
  const { order, trigger } = orderOf(r);
  for (const path of order.paths?.(r.spec) ?? []) addEnclosing(deps, path, at.directories);
  if (order.role !== 'content') addKeys(deps, at.units.get(r.unit), isContent);
  for (const unit of links?.sameNode ?? []) addKeys(deps, at.units.get(unit));
  // What triggers a restart or re-run is also waited for (restartOnChangeOf, onChangeOf).
  for (const ref of trigger?.on(r.spec) ?? []) if (at.present.has(ref)) deps.add(ref);
  deps.delete(r.key);
  return deps;
}

function addKeys(deps: Set<string>, resources: readonly PlacedResource[] | undefined, only?: (r: PlacedResource) => boolean): void {
  for (const o of resources ?? []) if (!only || only(o)) deps.add(o.key);
}

function addEnclosing(deps: Set<string>, path: string, directories: readonly DirectoryPrefix[]): void {
  for (const d of directories) if (path.startsWith(d.prefix)) deps.add(d.key);
}

/** dependsOn for every resource, sorted; keyed by the resource object. */
export function computeDependencies(byNode: ReadonlyMap<string, readonly PlacedResource[]>, links: ReadonlyMap<string, UnitLinks>): Map<PlacedResource, string[]> {
  const index = indexNodes(byNode);
  const readiness = new Map<string, string[]>();
  const readinessOf = (node: string, unit: string): string[] => {
    const id = `${node}\u0000${unit}`;
    let keys = readiness.get(id);
    if (!keys) readiness.set(id, (keys = readinessKeys(index.get(node)?.units.get(unit) ?? []).map((k) => resourceAddress(node, k))));
    return keys;
  };
  const out = new Map<PlacedResource, string[]>();
  for (const [node, resources] of byNode) {
    const at = index.get(node)!;
    for (const r of resources) {
      const unitLinks = links.get(r.unit);
      const deps: string[] = [];
      for (const k of sameNodeEdges(r, at, unitLinks)) deps.push(resourceAddress(node, k));
      if (unitLinks && unitLinks.crossNode.length > 0) {
        for (const cross of unitLinks.crossNode) deps.push(...cross.nodes.flatMap((other) => readinessOf(other, cross.unit)));
        const self = resourceAddress(node, r.key);
        out.set(r, [...new Set(deps)].filter((d) => d !== self).sort());
      } else {
        // Same-node edges are already distinct and exclude the resource itself.
        out.set(r, deps.sort());
      }
    }
  }
  return out;
}
