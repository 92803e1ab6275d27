/**
 * The order a cluster's steps are evaluated in: a step reading another step's outputs comes after it;
 * otherwise declaration order holds, so the order never depends on anything but the Cluster document.
 */
import type { ClusterStep, InputSource } from '../spec/schema.js';
import { asInputSource } from './input-sources.js';

/** Names of the steps whose outputs this step reads (in any `with` value). */
export function stepsConsumed(step: ClusterStep): string[] {
  const out = new Set<string>();
  for (const value of Object.values(step.with)) {
    const source: InputSource | null = asInputSource(value);
    if (source && 'output' in source) out.add(source.output.split('.')[0] ?? '');
  }
  return [...out];
}

export type StepOrder = { ok: true; order: number[] } | { ok: false; cycle: string[] };

/** Kahn's algorithm, always taking the earliest-declared ready step. References to unknown steps are ignored here. */
export function orderSteps(steps: readonly ClusterStep[]): StepOrder {
  const index = new Map(steps.map((s, i) => [s.name, i]));
  const preds = steps.map((s) =>
    stepsConsumed(s)
      .map((n) => index.get(n))
      .filter((i): i is number => i !== undefined),
  );
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < steps.length) {
    const next = steps.findIndex((_, i) => !done.has(i) && preds[i]!.every((p) => done.has(p)));
    if (next < 0) {
      const cycle = steps.filter((_, i) => !done.has(i)).map((s) => s.name);
      return { ok: false, cycle };
    }
    done.add(next);
    order.push(next);
  }
  return { ok: true, order };
}
