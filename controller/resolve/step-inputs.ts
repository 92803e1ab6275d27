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
import { asInputSource, isNodeDependent, matchesInputType, resolveSource, typeOfValue, type InputContext, type NodeView } from './input-sources.js';

export interface StepInputs {
  /** Values common to every node of the step. */
  shared: Record<string, unknown>;
  /** Inputs whose value depends on the node. */
  perNode: [name: string, source: InputSource][];
}

interface StepRef {
  cluster: Located<ClusterDoc>;
  index: number;
  module: Located<ModuleDoc>;
}

function withPath(step: StepRef, name: string): (string | number)[] {
  return ['spec', 'steps', step.index, 'with', name];
}

function checkType(step: StepRef, name: string, value: unknown, sink: DiagnosticSink, node?: string): boolean {
  const declared = step.module.doc.spec.inputs[name]!;
  if (matchesInputType(declared.type, value)) return true;
  const path = withPath(step, name);
  sink.error(
    'InputTypeMismatch',
    `input "${name}" of module "${step.module.doc.metadata.name}" is declared ${declared.type}, but the value is ${typeOfValue(value)} ${JSON.stringify(value)}`,
    step.cluster.locate(path),
    fieldPath(path),
    node,
  );
  return false;
}

/** Null when an input could not be resolved (reported). */
export function prepareStepInputs(step: StepRef, ctx: InputContext, sink: DiagnosticSink): StepInputs | null {
  const stepDoc = step.cluster.doc.spec.steps[step.index]!;
  const declared = step.module.doc.spec.inputs;
  let ok = true;
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
    if (!resolved.ok) {
      const path = withPath(step, name);
      sink.error(resolved.code, resolved.message, step.cluster.locate(path), fieldPath(path));
      ok = false;
    } else if (checkType(step, name, resolved.value, sink)) {
      shared[name] = resolved.value;
    } else {
      ok = false;
    }
  }
  return ok ? { shared, perNode } : null;
}

/** The inputs on one node; null when one failed (reported with the node). */
export function inputsForNode(step: StepRef, prepared: StepInputs, ctx: InputContext, node: NodeView, sink: DiagnosticSink): Record<string, unknown> | null {
  if (prepared.perNode.length === 0) return prepared.shared;
  const inputs = { ...prepared.shared };
  let ok = true;
  for (const [name, source] of prepared.perNode) {
    const resolved = resolveSource(source, ctx, node);
    if (!resolved.ok) {
      const path = withPath(step, name);
      sink.error(resolved.code, resolved.message, step.cluster.locate(path), fieldPath(path), node.name);
      ok = false;
    } else if (checkType(step, name, resolved.value, sink, node.name)) {
      inputs[name] = resolved.value;
    } else {
      ok = false;
    }
  }
  return ok ? inputs : null;
}
