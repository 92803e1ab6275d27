/**
 * The change graph of a plan: checked to reference only changes of the plan and to be acyclic, and walked
 * in a deterministic topological order: of the changes whose dependencies are all placed, the one given
 * first goes next. Given in plan order (by id), ties keep that order; a renderer that wants another
 * tie-break (directories before files) passes the changes in that order.
 */
import type { Change } from './plan.js';

export type PlanGraphProblem =
  | { code: 'DanglingDependency'; change: string; missing: string }
  | { code: 'DuplicateChange'; change: string }
  | { code: 'DependencyCycle'; cycle: string[] };

export type PlanGraphResult = { ok: true; order: string[] } | { ok: false; problems: PlanGraphProblem[] };

/** One cycle through the unsorted remainder, for a message a person can act on. */
function findCycle(remaining: ReadonlySet<string>, deps: ReadonlyMap<string, readonly string[]>): string[] {
  const start = [...remaining].sort()[0]!;
  const seenAt = new Map<string, number>();
  const path: string[] = [];
  let current = start;
  // Every remaining change has a remaining dependency, so following the first one must revisit a change.
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    current = (deps.get(current) ?? []).find((d) => remaining.has(d))!;
  }
  return [...path.slice(seenAt.get(current)), current];
}

/** Indices of ready changes, smallest first: a binary min-heap, so a plan of 100,000 changes stays O(n log n). */
class ReadyHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const a = this.items;
    let i = a.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }

  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= a.length) break;
      const child = left + 1 < a.length && a[left + 1]! < a[left]! ? left + 1 : left;
      if (a[child]! >= last) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}

export function planGraph(changes: readonly Change[]): PlanGraphResult {
  const problems: PlanGraphProblem[] = [];
  const index = new Map<string, number>();
  changes.forEach((c, i) => {
    if (index.has(c.id)) problems.push({ code: 'DuplicateChange', change: c.id });
    index.set(c.id, i);
  });
  const dependents: number[][] = changes.map(() => []);
  const pending = new Int32Array(changes.length);
  const deps = new Map<string, readonly string[]>();
  changes.forEach((c, i) => {
    deps.set(c.id, c.dependsOn);
    for (const d of c.dependsOn) {
      const j = index.get(d);
      if (j === undefined) {
        problems.push({ code: 'DanglingDependency', change: c.id, missing: d });
        continue;
      }
      dependents[j]!.push(i);
      pending[i]! += 1;
    }
  });
  if (problems.length > 0) return { ok: false, problems };

  const order: string[] = [];
  const ready = new ReadyHeap();
  for (let i = 0; i < changes.length; i++) if (pending[i] === 0) ready.push(i);
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    order.push(changes[i]!.id);
    for (const j of dependents[i]!) {
      pending[j]! -= 1;
      if (pending[j] === 0) ready.push(j);
    }
  }
  if (order.length === changes.length) return { ok: true, order };
  const done = new Set(order);
  const remaining = new Set(changes.map((c) => c.id).filter((id) => !done.has(id)));
  return { ok: false, problems: [{ code: 'DependencyCycle', cycle: findCycle(remaining, deps) }] };
}
