/**
 * Per cluster, each member's health gates and drain steps: its steps' modules' declarations, then the
 * Site's and the Cluster's `rollout.gates`, rendered for the member.
 */
import type { NodeGates } from '../model/health-gate.js';
import type { ClusterDoc, ModuleDoc, SiteDoc } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import { renderDrainSteps, renderGates, type GateRenderPlace } from './render-gates.js';
import type { RenderPlace } from './render-module.js';
import type { SelectableNode } from '../spec/node-selector.js';

/** node -> what it declares in one cluster. */
export type ClusterGates = Map<string, NodeGates>;

function gatesOn(gates: ClusterGates, node: string): NodeGates {
  let out = gates.get(node);
  if (!out) gates.set(node, (out = { gates: [], drain: [], undrain: [] }));
  return out;
}

/** The module's gates and drain steps, rendered as its resources were (same scope, same document). */
export function addModuleGates(gates: ClusterGates, place: RenderPlace & { module: Located<ModuleDoc> }, at: { step: string; nodeNames: ReadonlySet<string>; nodes: readonly SelectableNode[] }): void {
  const { health, drain, undrain } = place.module.doc.spec;
  if (health.length === 0 && drain.length === 0 && undrain.length === 0) return;
  const gatePlace: GateRenderPlace = { ...place, nodeNames: at.nodeNames, nodes: at.nodes, origin: `module ${place.module.doc.metadata.name} (step ${at.step})` };
  const out = gatesOn(gates, place.scope.node.name);
  out.gates.push(...renderGates(gatePlace, health, { path: ['spec', 'health'], before: out.gates }));
  out.drain.push(...renderDrainSteps(gatePlace, drain, ['spec', 'drain']));
  out.undrain.push(...renderDrainSteps(gatePlace, undrain, ['spec', 'undrain']));
}

/** A Site's or a Cluster's own `rollout.gates`, for one member. */
export function addRolloutGates(gates: ClusterGates, place: GateRenderPlace & { module: Located<SiteDoc | ClusterDoc> }): void {
  const declared = place.module.doc.spec.rollout.gates ?? [];
  if (declared.length === 0) return;
  const out = gatesOn(gates, place.scope.node.name);
  out.gates.push(...renderGates(place, declared, { path: ['spec', 'rollout', 'gates'], before: out.gates }));
}

/** Sorted by node, and absent when no member declares anything: a site without gates plans as before. */
export function gatesRecord(gates: ClusterGates): Record<string, NodeGates> | undefined {
  const nodes = [...gates.keys()].filter((n) => { const g = gates.get(n)!; return g.gates.length + g.drain.length + g.undrain.length > 0; }).sort();
  return nodes.length === 0 ? undefined : Object.fromEntries(nodes.map((n) => [n, gates.get(n)!]));
}
