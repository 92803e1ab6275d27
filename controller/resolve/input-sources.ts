/**
 * Where a step input's value comes from (see InputSource in the schema): literals, params, this node's
 * facts, other nodes' facts (cluster linking) and other steps' outputs. References are structured YAML, not
 * an expression language, so load can check them and plan can order by them (ADR 0002).
 */
import type { z } from 'zod';
import { isObservedFact } from '../model/observed-facts.js';
import { InputSource, type InputType, type NodeSelector } from '../spec/schema.js';
import { selectNodes } from '../spec/node-selector.js';
import type { DiagnosticCode } from '../spec/diagnostic.js';
import { UncheckedSpec } from './unchecked-spec.js';

type InputTypeName = z.infer<typeof InputType>;

/** A node as resolve sees it: identity, placement and facts (declared ones over observed ones). */
export interface NodeView {
  name: string;
  address: string;
  roles: string[];
  labels: Record<string, string>;
  facts: Record<string, unknown>;
  /** Entry -> address of the cluster addresses this node holds (`{fact: allocated.<entry>}`). */
  allocated?: Record<string, string>;
}

/** `{fact: allocated.<entry>}`: an address allocated to the node (per-node) or held by it (a VIP). */
export const ALLOCATED_FACT = 'allocated.';

export interface InputContext {
  /** Site params overlaid with the cluster's. */
  params: Record<string, unknown>;
  /** The cluster's nodes, sorted by name. */
  clusterNodes: readonly NodeView[];
  /** step -> node -> output values, for steps already evaluated (load checked that the step and output exist). */
  outputs: ReadonlyMap<string, ReadonlyMap<string, Readonly<Record<string, string>>>>;
  /** No node is observed yet (validate): a fact only an observation holds is pending, not missing. */
  factsPending: boolean;
  /** step -> the nodes it is not rendered on yet, because an input of it is pending there. */
  pendingSteps: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A value known only at plan time, once the nodes are observed; `waitsFor` says what it waits for. */
export interface Pending {
  ok: 'pending';
  waitsFor: string;
}

export type Resolved = { ok: true; value: unknown } | { ok: false; code: DiagnosticCode; message: string } | Pending;

/** A `with` value as a reference, or null when it is a literal. */
export function asInputSource(value: unknown): InputSource | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const parsed = InputSource.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** References whose value differs from node to node; the others are resolved once per step. */
export function isNodeDependent(source: InputSource): boolean {
  return ('fact' in source && !('nodes' in source)) || ('output' in source && source.nodes === undefined);
}

export function factOf(node: NodeView, name: string): unknown {
  if (name === 'name') return node.name;
  if (name === 'address') return node.address;
  if (name === 'roles') return node.roles;
  if (name.startsWith('labels.')) return node.labels[name.slice('labels.'.length)];
  if (name.startsWith(ALLOCATED_FACT)) return node.allocated?.[name.slice(ALLOCATED_FACT.length)];
  return Object.hasOwn(node.facts, name) ? node.facts[name] : undefined;
}

/** `node` is null for this node: per-node messages leave the name out so the sink can merge them. */
function missingFact(node: string | null, name: string, ctx: InputContext): Resolved {
  if (isObservedFact(name) && ctx.factsPending) return { ok: 'pending', waitsFor: `{fact: ${name}} is observed on the node` };
  const who = node === null ? 'this node' : `node "${node}"`;
  return {
    ok: false,
    code: 'UnknownFact',
    message: isObservedFact(name)
      ? `${who} has no fact "${name}": it is observed on the node, and this observation has none (the node was unreachable, not observed, or did not report it)`
      : `${who} has no fact "${name}" (neither built in, declared in spec.facts, nor observed)`,
  };
}

const pendingStep = (step: string, output: string): Pending => ({
  ok: 'pending',
  waitsFor: `{output: ${step}.${output}} comes from step "${step}", which waits for observed facts`,
});

function splitOutput(ref: string): [string, string] {
  const dot = ref.indexOf('.');
  return [ref.slice(0, dot), ref.slice(dot + 1)];
}

function outputList(step: string, output: string, selector: NodeSelector, ctx: InputContext): Resolved {
  const perNode = ctx.outputs.get(step);
  const pending = ctx.pendingSteps.get(step);
  const values: string[] = [];
  for (const node of selectNodes(ctx.clusterNodes, selector)) {
    if (pending?.has(node.name)) return pendingStep(step, output);
    const outs = perNode?.get(node.name);
    if (outs && Object.hasOwn(outs, output)) values.push(outs[output]!);
  }
  return { ok: true, value: values };
}

function factList(fact: string, selector: NodeSelector, ctx: InputContext): Resolved {
  const values: unknown[] = [];
  for (const node of selectNodes(ctx.clusterNodes, selector)) {
    const value = factOf(node, fact);
    if (value === undefined) return missingFact(node.name, fact, ctx);
    values.push(value);
  }
  return { ok: true, value: values };
}

/** Resolves a reference; `node` is required for node-dependent ones. */
export function resolveSource(source: InputSource, ctx: InputContext, node: NodeView | null): Resolved {
  if ('value' in source) return { ok: true, value: source.value };
  if ('param' in source) {
    if (!Object.hasOwn(ctx.params, source.param)) throw new UncheckedSpec(`no param "${source.param}" in the Site or the Cluster`);
    return { ok: true, value: ctx.params[source.param] };
  }
  if ('fact' in source) {
    if ('nodes' in source) return factList(source.fact, source.nodes, ctx);
    const value = node ? factOf(node, source.fact) : undefined;
    return value === undefined ? missingFact(null, source.fact, ctx) : { ok: true, value };
  }
  const [step, output] = splitOutput(source.output);
  if (source.nodes) return outputList(step, output, source.nodes, ctx);
  return outputOnNode(step, output, ctx, node);
}

/** `{output}` without `nodes`: the step's output on this node. */
function outputOnNode(step: string, output: string, ctx: InputContext, node: NodeView | null): Resolved {
  if (node && ctx.pendingSteps.get(step)?.has(node.name)) return pendingStep(step, output);
  const outs = node ? ctx.outputs.get(step)?.get(node.name) : undefined;
  if (!outs || !Object.hasOwn(outs, output)) {
    return {
      ok: false,
      code: 'OutputNotOnNode',
      message: `step "${step}" does not run on this node, so its output "${output}" is not available there; narrow this step to the nodes running "${step}" or read it with {output, nodes}`,
    };
  }
  return { ok: true, value: outs[output] };
}

export function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function matchesInputType(type: InputTypeName, value: unknown): boolean {
  const actual = typeOfValue(value);
  return actual === type || (type === 'number' && actual === 'integer');
}
