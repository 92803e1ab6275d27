/**
 * The change graph of a plan: checked to reference only changes of the plan and to be acyclic, and walked
 * in a deterministic topological order (model/graph.ts): of the changes whose dependencies are all placed,
 * the one given first goes next. Given in plan order (by id), ties keep that order; a renderer that wants
 * another tie-break (directories before files) passes the changes in that order.
 */
import { indexDependencies, topologicalOrder } from '../model/graph.js';
import type { Change } from '../model/change.js';

export type PlanGraphProblem =
  | { code: 'DanglingDependency'; change: string; missing: string }
  | { code: 'DuplicateChange'; change: string }
  | { code: 'DependencyCycle'; cycle: string[] };

export type PlanGraphResult = { ok: true; order: string[] } | { ok: false; problems: PlanGraphProblem[] };

export function planGraph(changes: readonly Change[]): PlanGraphResult {
  const { dependsOn, unknown, duplicates } = indexDependencies(
    changes.map((c) => c.id),
    (i) => changes[i]!.dependsOn,
  );
  const problems: PlanGraphProblem[] = [
    ...duplicates.map((i): PlanGraphProblem => ({ code: 'DuplicateChange', change: changes[i]!.id })),
    ...unknown.map(({ from, id }): PlanGraphProblem => ({ code: 'DanglingDependency', change: changes[from]!.id, missing: id })),
  ];
  if (problems.length > 0) return { ok: false, problems };
  const sorted = topologicalOrder(dependsOn);
  if (sorted.ok) return { ok: true, order: sorted.order.map((i) => changes[i]!.id) };
  // The cycle closes on its first change, for a message a person can act on: a -> b -> c -> a.
  const cycle = [...sorted.cycle, sorted.cycle[0]!].map((i) => changes[i]!.id);
  return { ok: false, problems: [{ code: 'DependencyCycle', cycle }] };
}
