/**
 * Steps of a cluster depend on each other through `{output: STEP.NAME}` inputs. Resolve evaluates them in
 * dependency order, so the graph must be acyclic; a cycle is reported once, naming its steps in order.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { ClusterDoc } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import { findCycles } from '../model/graph.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { classifyStepInput, splitOutputRef } from './input-reference.js';

interface Edge {
  to: string;
  /** Field of the input that makes the dependency, for the diagnostic. */
  path: (string | number)[];
}

export function checkStepGraphs(catalog: Catalog): Diagnostic[] {
  return Object.keys(catalog.clusters)
    .sort()
    .flatMap((name) => checkCluster(catalog.clusters[name]!));
}

/** Step name -> steps it reads outputs from (only those that exist; dangling ones are reported elsewhere). */
export function stepDependencies(cluster: ClusterDoc): Map<string, Edge[]> {
  const names = new Set(cluster.spec.steps.map((s) => s.name));
  const graph = new Map<string, Edge[]>();
  cluster.spec.steps.forEach((step, i) => {
    const edges = graph.get(step.name) ?? [];
    for (const key of Object.keys(step.with).sort()) {
      const input = classifyStepInput(step.with[key]);
      if (input.type !== 'reference' || !('output' in input.source)) continue;
      const { step: to } = splitOutputRef(input.source.output);
      if (names.has(to)) edges.push({ to, path: ['spec', 'steps', i, 'with', key, 'output'] });
    }
    graph.set(step.name, edges);
  });
  return graph;
}

function checkCluster(cluster: Located<ClusterDoc>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, number>();
  cluster.doc.spec.steps.forEach((step, i) => {
    const first = seen.get(step.name);
    if (first === undefined) seen.set(step.name, i);
    else out.push(diagnosticAt(cluster, ['spec', 'steps', i, 'name'], 'DuplicateName', `step "${step.name}" is already defined as spec.steps[${first}]`));
  });

  const graph = stepDependencies(cluster.doc);
  // A repeated name is one step here (reported above), as the references to it cannot tell them apart.
  const steps = [...new Set(cluster.doc.spec.steps.map((s) => s.name))];
  const index = new Map(steps.map((name, i) => [name, i]));
  const edgesOf = (i: number) => (graph.get(steps[i]!) ?? []).map((e) => ({ to: index.get(e.to)!, path: e.path }));
  for (const cycle of findCycles(steps.length, edgesOf)) {
    const names = [...cycle.map((s) => steps[s.from]), steps[cycle[0]!.from]].join(' -> ');
    out.push(diagnosticAt(cluster, cycle[0]!.edge.path, 'StepCycle', `steps depend on each other's outputs in a cycle: ${names}`));
  }
  return out;
}
