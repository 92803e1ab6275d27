/**
 * A step's `with` turned into the module's inputs. References that do not depend on the node (params,
 * other nodes' facts and outputs, literals) are resolved and type-checked once per step, not per node.
 * Which inputs a step may and must give is load's check (references.ts); resolve takes its word.
 */
import { fieldPath } from '../spec/diagnostic.js';
import type { ClusterDoc, ModuleDoc, InputSource } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import type { DiagnosticSink } from './diagnostic-sink.js';
import { UncheckedSpec } from './unchecked-spec.js';
import { asInputSource, isNodeDependent, matchesInputType, resolveSource, typeOfValue, type InputContext, type NodeView, type Pending } from './input-sources.js';

export interface StepInputs {
  /** Values common to every node of the step. */
  shared: Record<string, unknown>;
  /** Inputs whose value depends on the node. */
  perNode: [name: string, source: InputSource][];
  /** A shared input is known only at plan time (reported): the step renders on no node yet. */
  pending: boolean;
}

/** A step being resolved, and the sink its problems go to. */
interface StepRef {
  cluster: Located<ClusterDoc>;
  index: number;
  module: Located<ModuleDoc>;
  sink: DiagnosticSink;
}

function withPath(step: StepRef, name: string): (string | number)[] {
  return ['spec', 'steps', step.index, 'with', name];
}

function checkType(step: StepRef, name: string, value: unknown, node?: string): boolean {
  const declared = step.module.doc.spec.inputs[name]!;
  if (matchesInputType(declared.type, value)) return true;
  const path = withPath(step, name);
  step.sink.error(
    'InputTypeMismatch',
    `input "${name}" of module "${step.module.doc.metadata.name}" is declared ${declared.type}, but the value is ${typeOfValue(value)} ${JSON.stringify(value)}`,
    { location: step.cluster.locate(path), field: fieldPath(path), node },
  );
  return false;
}

/**
 * An input known only at plan time: a warning at its field says so, and which checks of the step wait with it
 * (the step is not rendered on the node until then).
 */
function reportPending(step: StepRef, name: string, pending: Pending, node?: string): void {
  const path = withPath(step, name);
  const stepName = step.cluster.doc.spec.steps[step.index]!.name;
  step.sink.warning(
    'ResolvedAtPlanTime',
    `${pending.waitsFor}, so input "${name}" is resolved at plan time and step "${stepName}" is rendered then: its template, path, shell-safety and input type checks run only at plan time`,
    { location: step.cluster.locate(path), field: fieldPath(path), node },
  );
}

/** Null when an input could not be resolved (reported). */
export function prepareStepInputs(step: StepRef, ctx: InputContext): StepInputs | null {
  const stepDoc = step.cluster.doc.spec.steps[step.index]!;
  const declared = step.module.doc.spec.inputs;
  let ok = true;
  let pending = false;
  const shared: Record<string, unknown> = {};
  const perNode: [string, InputSource][] = [];
  for (const name of Object.keys(declared).sort()) {
    if (!Object.hasOwn(stepDoc.with, name)) {
      const fallback = declared[name]!.default;
      if (fallback === undefined) throw new UncheckedSpec(`input "${name}" of module "${step.module.doc.metadata.name}" has no default and is not given`);
      shared[name] = fallback;
      continue;
    }
    const raw = stepDoc.with[name];
    const source = asInputSource(raw);
    if (source && isNodeDependent(source)) {
      perNode.push([name, source]);
      continue;
    }
    const resolved = source ? resolveSource(source, ctx, null) : { ok: true as const, value: raw };
    if (resolved.ok === 'pending') {
      reportPending(step, name, resolved);
      pending = true;
    } else if (!resolved.ok) {
      const path = withPath(step, name);
      step.sink.error(resolved.code, resolved.message, { location: step.cluster.locate(path), field: fieldPath(path) });
      ok = false;
    } else if (checkType(step, name, resolved.value)) {
      shared[name] = resolved.value;
    } else {
      ok = false;
    }
  }
  return ok ? { shared, perNode, pending } : null;
}

/** The inputs on one node; null when one failed, 'pending' when one is known only at plan time (reported with the node). */
export function inputsForNode(step: StepRef, prepared: StepInputs, ctx: InputContext, node: NodeView): Record<string, unknown> | 'pending' | null {
  if (prepared.perNode.length === 0) return prepared.pending ? 'pending' : prepared.shared;
  const inputs = { ...prepared.shared };
  let ok = true;
  let pending = prepared.pending;
  for (const [name, source] of prepared.perNode) {
    const resolved = resolveSource(source, ctx, node);
    if (resolved.ok === 'pending') {
      reportPending(step, name, resolved, node.name);
      pending = true;
    } else if (!resolved.ok) {
      const path = withPath(step, name);
      step.sink.error(resolved.code, resolved.message, { location: step.cluster.locate(path), field: fieldPath(path), node: node.name });
      ok = false;
    } else if (checkType(step, name, resolved.value, node.name)) {
      inputs[name] = resolved.value;
    } else {
      ok = false;
    }
  }
  if (!ok) return null;
  return pending ? 'pending' : inputs;
}
