/**
 * The order a cluster's steps are evaluated in: a step reading another step's outputs comes after it;
 * otherwise declaration order holds, so the order never depends on anything but the Cluster document.
 */
import { indexDependencies, topologicalOrder, type TopologicalOrder } from '../model/graph.js';
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

/** Indices into `steps`. References to unknown steps are ignored here (load reports them). */
export function orderSteps(steps: readonly ClusterStep[]): TopologicalOrder {
  const { dependsOn } = indexDependencies(
    steps.map((s) => s.name),
    (i) => stepsConsumed(steps[i]!),
  );
  return topologicalOrder(dependsOn);
}
