/**
 * Resolve: Spec x observed facts x known allocations -> Desired. Pure: every input is a parameter, every
 * output is sorted, every problem only resolve can see (a rendered value, an observed fact) a diagnostic;
 * what load checks is not checked again (UncheckedSpec). Each cluster's steps run in dependency order over
 * the cluster's nodes; their resources are then placed per node, checked for clashes and ordered.
 */
import { byCodeUnit } from '../model/order.js';
import { sortDiagnostics, type Diagnostic } from '../spec/diagnostic.js';
import type { SourceLocation } from '../model/source-location.js';
import type { ModuleDoc, NodeSelector } from '../spec/schema.js';
import { siteIdOf, type Located, type Spec } from '../spec/spec.js';
import type { Desired, DesiredNode, DesiredResource, DesiredServiceResource, ResourceOrigin } from '../model/desired.js';
import { bindResources } from './bind-resources.js';
import { computeDependencies, unitId, type PlacedResource, type UnitLinks } from './dependencies.js';
import { DiagnosticSink } from './diagnostic-sink.js';
import { clusterDnsRecords, desiredZones } from './dns-records.js';
import type { DesiredIpAllocation } from '../../reconcilers/ip/kind.js';
import { asInputSource, type InputContext, type NodeView } from './input-sources.js';
import { stayingMembers } from './cluster-members.js';
import { allocateClusterAddresses, type AllocationResult, type HeldAddress } from './ip-allocation.js';
import { allocatedIndex, allocatedReads, awaitedAddresses, type AllocatedIndex } from './allocated-reads.js';
import { checkZoneServers } from './zone-servers.js';
import { awaitNamedAddresses } from './named-addresses.js';
import { NOTHING_OBSERVED, type IpamObservation } from './ipam-observation.js';
import { nodeEndpoint, nodeViews } from './node-views.js';
import { nodesOfStep, selectNodes } from '../spec/node-selector.js';
import { renderOutputs, renderResources, type ModuleRenderContext } from './render-module.js';
import { inputsForNode, prepareStepInputs } from './step-inputs.js';
import { observedFactReads, type ObservedFactRead } from './observed-fact-reads.js';
import { orderSteps } from './step-order.js';
import { TemplateEngine } from './template-engine.js';
import { UncheckedSpec } from './unchecked-spec.js';
import { effectiveRolloutPolicy } from '../spec/rollout-policy.js';
import { addModuleGates, addRolloutGates, gatesRecord, type ClusterGates } from './cluster-gates.js';

export interface ResolveResult {
  /**
   * Null when any error was found, or a step is pending: a partial Desired would plan deletions of what
   * failed to render.
   */
  desired: Desired | null;
  diagnostics: Diagnostic[];
  /** Steps not rendered on some nodes because an input is known only once the nodes are observed (factsPending). */
  pendingSteps: PendingStep[];
}

export interface PendingStep {
  cluster: string;
  step: string;
  /** Sorted. */
  nodes: string[];
}

export interface ResolveOptions {
  /**
   * No node has been observed (validate): an input reading a fact only an observation holds, and every step
   * that reads such a step's outputs, is left for plan time (a ResolvedAtPlanTime warning) instead of failing.
   */
  factsPending?: boolean;
  /** What the pools and the nodes' interfaces hold beyond the live allocations (ipam-observation.ts); default: nothing. */
  ipam?: IpamObservation;
}

interface SiteState {
  spec: Spec;
  sink: DiagnosticSink;
  engine: TemplateEngine;
  views: NodeView[];
  /** node -> resources placed on it, in evaluation order. */
  placed: Map<string, PlacedResource[]>;
  links: Map<string, UnitLinks>;
  /** cluster -> its nodes, sorted. */
  members: Map<string, string[]>;
  /** Decommissioned nodes -> the clusters whose selectors match them, which they leave. */
  leaving: Map<string, string[]>;
  resourceLocations: Map<string, SourceLocation[]>;
  factsPending: boolean;
  pendingSteps: PendingStep[];
  /** module -> the observed facts its templates read, when factsPending. */
  factReads: Map<string, ObservedFactRead[]>;
  allocation: AllocationResult;
  allocated: AllocatedIndex;
  /** node -> the address resources it holds. */
  heldOn: Map<string, HeldAddress[]>;
  /** What a placed resource waits for because it reads `{fact: allocated.<entry>}`. */
  awaits: Map<PlacedResource, string[]>;
  /** cluster -> each member's health gates and drain steps. */
  gates: Map<string, ClusterGates>;
  nodeNames: ReadonlySet<string>;
}

function locationsOf(state: SiteState, name: string, module: Located<ModuleDoc>): SourceLocation[] {
  let locations = state.resourceLocations.get(name);
  if (!locations) {
    locations = module.doc.spec.resources.map((_, i) => module.locate(['spec', 'resources', i]));
    state.resourceLocations.set(name, locations);
  }
  return locations;
}

/** Which steps' outputs a step reads, here and on other nodes: the edges dependencies.ts turns into dependsOn. */
function stepLinks(clusterName: string, withValues: Record<string, unknown>, clusterNodes: readonly NodeView[], stepNodes: ReadonlyMap<string, ReadonlySet<string>>): UnitLinks {
  const sameNode = new Set<string>();
  const crossNode: UnitLinks['crossNode'] = [];
  for (const value of Object.values(withValues)) {
    const source = asInputSource(value);
    if (!source || !('output' in source)) continue;
    const step = source.output.split('.')[0]!;
    const running = stepNodes.get(step) ?? new Set<string>();
    if (source.nodes === undefined) sameNode.add(unitId(clusterName, step));
    else crossNode.push({ unit: unitId(clusterName, step), nodes: selectNodes(clusterNodes, source.nodes).map((n) => n.name).filter((n) => running.has(n)) });
  }
  return { sameNode: [...sameNode].sort(), crossNode };
}

/**
 * Before any node is observed: whether the module's templates read an observed fact this node does not
 * declare, so the step waits for plan time on it (each such read reported where it is).
 */
function templatesWaitForFacts(state: SiteState, module: Located<ModuleDoc>, step: string, node: NodeView): boolean {
  if (!state.factsPending) return false;
  const name = module.doc.metadata.name;
  let reads = state.factReads.get(name);
  if (!reads) state.factReads.set(name, (reads = observedFactReads(module, state.spec.templates, state.engine)));
  const waiting = reads.filter((r) => !Object.hasOwn(node.facts, r.fact));
  for (const r of waiting) {
    state.sink.warning(
      'ResolvedAtPlanTime',
      `node.facts.${r.fact} is observed on the node, so step "${step}" is rendered at plan time: its template, path, shell-safety and input type checks run only then`,
      { location: r.location, field: r.field, node: node.name },
    );
  }
  return waiting.length > 0;
}

/** The nodes a cluster's selector picks, less the decommissioned ones: they leave it (and are noted as leaving). */
function clusterMembers(state: SiteState, clusterName: string, selector: NodeSelector): NodeView[] {
  const members: NodeView[] = [];
  for (const node of selectNodes(state.views, selector)) {
    if (state.spec.nodes[node.name]?.doc.spec.decommission !== true) members.push(node);
    else state.leaving.set(node.name, [...(state.leaving.get(node.name) ?? []), clusterName]);
  }
  return members;
}

function resolveCluster(state: SiteState, clusterName: string): void {
  const { spec, sink } = state;
  const cluster = spec.clusters[clusterName]!;
  const clusterNodes = clusterMembers(state, clusterName, cluster.doc.spec.nodes);
  state.members.set(clusterName, clusterNodes.map((n) => n.name));
  const steps = cluster.doc.spec.steps;
  const order = orderSteps(steps);
  if (!order.ok) throw new UncheckedSpec(`cluster "${clusterName}": steps ${order.cycle.map((i) => steps[i]!.name).join(' -> ')} read each other's outputs in a cycle`);
  const gates: ClusterGates = new Map();
  state.gates.set(clusterName, gates);
  const outputs = new Map<string, Map<string, Record<string, string>>>();
  const stepNodes = new Map<string, Set<string>>();
  const pendingSteps = new Map<string, Set<string>>();
  const ctx: InputContext = {
    params: { ...spec.site.doc.spec.params, ...cluster.doc.spec.params },
    clusterNodes,
    outputs,
    factsPending: state.factsPending,
    pendingSteps,
  };
  for (const index of order.order) {
    const step = steps[index]!;
    const module = spec.modules[step.module];
    if (!module) throw new UncheckedSpec(`cluster "${clusterName}" step "${step.name}": no Module "${step.module}"`);
    const running = nodesOfStep(clusterNodes, step);
    stepNodes.set(step.name, new Set(running.map((n) => n.name)));
    const unit = unitId(clusterName, step.name);
    state.links.set(unit, stepLinks(clusterName, step.with, clusterNodes, stepNodes));
    const ref = { cluster, index, module, sink };
    const prepared = prepareStepInputs(ref, ctx);
    if (!prepared) continue;
    const stepOutputs = new Map<string, Record<string, string>>();
    outputs.set(step.name, stepOutputs);
    const pendingOn = new Set<string>();
    pendingSteps.set(step.name, pendingOn);
    const resourceLocations = locationsOf(state, step.module, module);
    const origins: ResourceOrigin[] = [];
    const reads = allocatedReads(step.with);
    for (const node of running) {
      const inputs = inputsForNode(ref, prepared, ctx, node);
      if (!inputs) continue;
      // Both are asked, so every read that waits is reported.
      const templatesWait = templatesWaitForFacts(state, module, step.name, node);
      if (inputs === 'pending' || templatesWait) {
        pendingOn.add(node.name);
        continue;
      }
      const render: ModuleRenderContext = {
        engine: state.engine,
        sink,
        module,
        templateFiles: spec.templates,
        cluster: clusterName,
        step: step.name,
        resourceLocations,
        origins,
        allowedPaths: spec.site.doc.spec.allowedPaths,
        scope: { inputs, node, cluster: { name: clusterName }, step: { name: step.name } },
      };
      addModuleGates(gates, render, { step: step.name, nodeNames: state.nodeNames, nodes: state.views });
      const outs = renderOutputs(render);
      if (outs) stepOutputs.set(node.name, outs);
      const placed = state.placed.get(node.name)!;
      const awaited = reads.length === 0 ? [] : awaitedAddresses(reads, node.name, clusterNodes, state.allocated);
      for (const r of renderResources(render)) {
        const p: PlacedResource = { key: r.key, spec: r.spec, origin: r.origin, node: node.name, unit };
        placed.push(p);
        if (awaited.length > 0) state.awaits.set(p, awaited);
      }
    }
    if (pendingOn.size > 0) state.pendingSteps.push({ cluster: clusterName, step: step.name, nodes: [...pendingOn].sort() });
  }
  addMembersRolloutGates(state, clusterName, clusterNodes);
}

/** The Site's gates, then the Cluster's, for every member (after its modules' own). */
function addMembersRolloutGates(state: SiteState, clusterName: string, members: readonly NodeView[]): void {
  const gates = state.gates.get(clusterName)!;
  const documents = [
    { doc: state.spec.site, origin: 'site' },
    { doc: state.spec.clusters[clusterName]!, origin: `cluster ${clusterName}` },
  ];
  for (const { doc, origin } of documents) {
    if ((doc.doc.spec.rollout.gates ?? []).length === 0) continue;
    for (const node of members) {
      const scope = { inputs: {}, node, cluster: { name: clusterName }, step: { name: '' } };
      addRolloutGates(gates, { engine: state.engine, sink: state.sink, module: doc, templateFiles: state.spec.templates, scope, allowedPaths: state.spec.site.doc.spec.allowedPaths, nodeNames: state.nodeNames, nodes: state.views, origin });
    }
  }
}

/** Keeps the first resource of each key on a node; a second one is a clash between steps or clusters. */
function dropDuplicates(state: SiteState): void {
  for (const [node, resources] of state.placed) {
    const seen = new Map<string, PlacedResource>();
    const kept: PlacedResource[] = [];
    for (const r of resources) {
      const first = seen.get(r.key);
      if (!first) {
        seen.set(r.key, r);
        kept.push(r);
        continue;
      }
      const where = (p: PlacedResource) => `cluster "${p.origin.cluster}" step "${p.origin.step}" (module "${p.origin.module}")`;
      state.sink.error(
        'DuplicateResource',
        `resource "${r.key}" is rendered twice: by ${where(first)} and by ${where(r)}; a node may get each file, service or command from one step only`,
        { location: r.origin.location, node },
      );
    }
    state.placed.set(node, kept);
  }
}

function serviceResources(state: SiteState): DesiredServiceResource[] {
  const addresses = state.allocation.services;
  // What a listed DNS record's `{address: NAME}` reads: the allocation of this plan, or the one kept.
  const clusterAddresses = new Map(addresses.flatMap((a) => (a.spec.kind === 'ip' ? [[(a.spec as DesiredIpAllocation).name, (a.spec as DesiredIpAllocation).address] as const] : [])));
  const all = [...addresses, ...clusterDnsRecords({ spec: state.spec, members: state.members, clusterAddresses, sink: state.sink })];
  const byKey = new Map<string, DesiredServiceResource>();
  for (const s of all) {
    const first = byKey.get(s.key);
    if (!first) byKey.set(s.key, s);
    else if (JSON.stringify(first.spec) !== JSON.stringify(s.spec)) {
      state.sink.error('DuplicateResource', `"${s.key}" is wanted with different values by clusters "${first.origin.cluster}" and "${s.origin.cluster}"`, { location: s.origin.location });
    }
  }
  return [...byKey.values()].sort((a, b) => byCodeUnit(a.key, b.key));
}

function heldByNode(held: readonly HeldAddress[]): Map<string, HeldAddress[]> {
  const out = new Map<string, HeldAddress[]>();
  for (const h of held) out.set(h.node, [...(out.get(h.node) ?? []), h]);
  return out;
}

/** node -> the clusters it is in, by name. */
function clusterMemberships(spec: Spec, views: readonly NodeView[]): Map<string, string[]> {
  const out = new Map<string, string[]>(views.map((v) => [v.name, []]));
  for (const cluster of Object.keys(spec.clusters).sort()) for (const n of stayingMembers(spec, views, spec.clusters[cluster]!.doc.spec.nodes)) out.get(n.name)!.push(cluster);
  return out;
}

/** A node's resources: what its steps placed, and the addresses it holds (each after its allocation). */
function nodeResources(state: SiteState, node: string, dependencies: ReadonlyMap<PlacedResource, string[]>): DesiredResource[] {
  const out: DesiredResource[] = state.placed.get(node)!.map((r) => {
    const awaited = state.awaits.get(r);
    const dependsOn = awaited ? [...new Set([...dependencies.get(r)!, ...awaited])].sort() : dependencies.get(r)!;
    return { key: r.key, spec: r.spec, dependsOn, origin: r.origin };
  });
  const held = state.heldOn.get(node);
  if (held) {
    const keys = new Set(out.map((r) => r.key));
    for (const h of held) if (!keys.has(h.key)) out.push({ key: h.key, spec: h.spec, dependsOn: [h.awaits], origin: h.origin });
  }
  return out.sort((a, b) => byCodeUnit(a.key, b.key));
}

export function resolveSite(
  spec: Spec,
  facts: Readonly<Record<string, Record<string, unknown>>>,
  allocations: Readonly<Record<string, string>>,
  options: ResolveOptions = {},
): ResolveResult {
  const views = nodeViews(spec, facts);
  const sink = new DiagnosticSink();
  // Allocated first: the nodes holding an address read it as a fact.
  const allocation = allocateClusterAddresses(spec, views, options.ipam ?? { ...NOTHING_OBSERVED, allocations }, sink);
  const allocated = allocatedIndex(allocation, clusterMemberships(spec, views));
  for (const view of views) view.allocated = Object.fromEntries(Object.entries(allocated.get(view.name) ?? {}).map(([entry, a]) => [entry, a.address]));
  const state: SiteState = {
    spec,
    sink,
    engine: new TemplateEngine(),
    views,
    placed: new Map(views.map((v) => [v.name, []])),
    links: new Map(),
    members: new Map(),
    leaving: new Map(),
    resourceLocations: new Map(),
    factsPending: options.factsPending ?? false,
    pendingSteps: [],
    factReads: new Map(),
    allocation,
    allocated,
    heldOn: heldByNode(allocation.held),
    awaits: new Map(),
    gates: new Map(),
    nodeNames: new Set(views.map((v) => v.name)),
  };
  const clusterNames = Object.keys(spec.clusters).sort();
  for (const name of clusterNames) resolveCluster(state, name);
  dropDuplicates(state);
  awaitNamedAddresses(state.placed, state.allocated, state.awaits);
  checkZoneServers({ spec, placed: state.placed, pendingNodes: new Set(state.pendingSteps.flatMap((p) => p.nodes)), sink });
  const services = serviceResources(state);
  bindResources({ spec, members: state.members, services }, state.placed, state.sink);
  const diagnostics = sortDiagnostics(state.sink.diagnostics());
  if (state.sink.hasErrors || state.pendingSteps.length > 0) return { desired: null, diagnostics, pendingSteps: state.pendingSteps };

  const dependencies = computeDependencies(state.placed, state.links);
  const clustersOf = new Map<string, string[]>();
  for (const name of clusterNames) for (const node of state.members.get(name)!) clustersOf.set(node, [...(clustersOf.get(node) ?? []), name]);
  const nodes: DesiredNode[] = views.map((view) => ({
    ...nodeEndpoint(spec, view.name, facts[view.name]),
    clusters: clustersOf.get(view.name) ?? [],
    resources: nodeResources(state, view.name, dependencies),
    ...(spec.nodes[view.name]?.doc.spec.decommission === true ? { decommission: { leaving: state.leaving.get(view.name) ?? [] } } : {}),
  }));
  const clusters = clusterNames.map((name) => {
    const members = state.members.get(name)!;
    const gates = gatesRecord(state.gates.get(name)!);
    return { name, nodes: members, rollout: effectiveRolloutPolicy(spec.site.doc.spec.rollout, spec.clusters[name]!.doc.spec.rollout), ...(gates ? { gates } : {}) };
  });
  return { desired: { revision: spec.revision, site: siteIdOf(spec), nodes, services, clusters, zones: desiredZones(spec) }, diagnostics, pendingSteps: [] };
}
