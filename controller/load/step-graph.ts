/**
 * Steps of a cluster depend on each other through `{output: STEP.NAME}` inputs. Resolve evaluates them in
 * dependency order, so the graph must be acyclic; a cycle is reported once, naming its steps in order.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { ClusterDoc } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
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
  const reported = new Set<string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: { step: string; edge?: Edge }[] = [];

  const visit = (step: string): void => {
    state.set(step, 'visiting');
    for (const edge of graph.get(step) ?? []) {
      stack.push({ step, edge });
      if (state.get(edge.to) === 'visiting') {
        const from = stack.findIndex((s) => s.step === edge.to);
        const cycle = stack.slice(from);
        const key = canonical(cycle.map((s) => s.step));
        if (!reported.has(key)) {
          reported.add(key);
          const names = [...cycle.map((s) => s.step), edge.to].join(' -> ');
          out.push(diagnosticAt(cluster, cycle[0]!.edge!.path, 'StepCycle', `steps depend on each other's outputs in a cycle: ${names}`));
        }
      } else if (!state.has(edge.to)) visit(edge.to);
      stack.pop();
    }
    state.set(step, 'done');
  };
  for (const step of cluster.doc.spec.steps) if (!state.has(step.name)) visit(step.name);
  return out;
}

/** The same cycle found from another starting step must not be reported twice. */
function canonical(steps: string[]): string {
  const sortedSteps = [...steps].sort();
  const start = steps.indexOf(sortedSteps[0]!);
  return [...steps.slice(start), ...steps.slice(0, start)].join('\0');
}
