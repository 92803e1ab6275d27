/**
 * Dependency graphs, the one implementation of them: the step graph and step order of a cluster, the
 * bastions of nodes, the change graph of a plan and the walk that applies it. Items are given in an order
 * and named by their index in it; `dependsOn[i]` lists the items item i needs first. That order is the
 * tie-break everywhere: of the items free to go next, the one given first goes, so a caller decides what
 * comes first among equals by the order it passes items in, and the result never depends on anything else.
 */

export type Dependencies = readonly (readonly number[])[];

/** Item ids turned into index edges; a dependency on an id that is not among the items is set apart. */
export interface IndexedDependencies {
  dependsOn: number[][];
  /** Dependencies on ids not among the items, in order: callers decide whether they are satisfied or wrong. */
  unknown: { from: number; id: string }[];
  /** Items whose id an earlier item has already: edges to that id go to the last of them. */
  duplicates: number[];
}

export function indexDependencies(ids: readonly string[], dependsOn: (index: number) => readonly string[]): IndexedDependencies {
  const index = new Map<string, number>();
  const duplicates: number[] = [];
  ids.forEach((id, i) => {
    if (index.has(id)) duplicates.push(i);
    index.set(id, i);
  });
  const unknown: IndexedDependencies['unknown'] = [];
  const edges = ids.map((_, i) => {
    const out: number[] = [];
    for (const id of dependsOn(i)) {
      const j = index.get(id);
      if (j === undefined) unknown.push({ from: i, id });
      else out.push(j);
    }
    return out;
  });
  return { dependsOn: edges, unknown, duplicates };
}

/**
 * Counts each item's dependencies down as they complete: which items are ready, and which become ready when
 * one completes. Topological order and the concurrent walk of apply share it.
 */
export class Readiness {
  readonly #pending: Int32Array;
  readonly #dependents: number[][];

  constructor(dependsOn: Dependencies) {
    this.#pending = new Int32Array(dependsOn.length);
    this.#dependents = dependsOn.map(() => []);
    dependsOn.forEach((deps, i) => {
      for (const d of deps) {
        this.#dependents[d]!.push(i);
        this.#pending[i]! += 1;
      }
    });
  }

  /** Items without dependencies, in order. */
  initial(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.#pending.length; i++) if (this.#pending[i] === 0) out.push(i);
    return out;
  }

  /** Marks an item done; the items that it was the last dependency of, in order. */
  complete(item: number): number[] {
    const out: number[] = [];
    for (const j of this.#dependents[item]!) {
      this.#pending[j]! -= 1;
      if (this.#pending[j] === 0) out.push(j);
    }
    return out;
  }
}

/** Indices of ready items, smallest first: a binary min-heap, so a plan of 100,000 changes stays O(n log n). */
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

export type TopologicalOrder =
  | { ok: true; order: number[] }
  /**
   * `order`: the items that could be placed; `blocked`: the others (in order), which wait on a cycle;
   * `cycle`: one cycle among them, each item depending on the next and the last on the first.
   */
  | { ok: false; order: number[]; blocked: number[]; cycle: number[] };

/** Kahn's algorithm: of the items whose dependencies are all placed, the one given first goes next. */
export function topologicalOrder(dependsOn: Dependencies): TopologicalOrder {
  const readiness = new Readiness(dependsOn);
  const ready = new ReadyHeap();
  for (const i of readiness.initial()) ready.push(i);
  const order: number[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    order.push(i);
    for (const j of readiness.complete(i)) ready.push(j);
  }
  if (order.length === dependsOn.length) return { ok: true, order };
  const placed = new Uint8Array(dependsOn.length);
  for (const i of order) placed[i] = 1;
  const blocked: number[] = [];
  for (let i = 0; i < dependsOn.length; i++) if (!placed[i]) blocked.push(i);
  return { ok: false, order, blocked, cycle: cycleFrom(blocked[0]!, dependsOn, placed) };
}

/**
 * The cycle reached from a blocked item by following, each time, its first dependency not placed: every
 * blocked item has one, so the walk must come back to an item it passed. Iterative: a chain may be long.
 */
function cycleFrom(start: number, dependsOn: Dependencies, placed: Uint8Array): number[] {
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let current = start;
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    current = dependsOn[current]!.find((d) => !placed[d])!;
  }
  return path.slice(seenAt.get(current));
}

export interface CycleStep<E> {
  from: number;
  edge: E;
}

/**
 * Every cycle a depth-first search meets, starting from each item in order and following edges in order.
 * Each cycle is returned once, however many of its members the search starts from, as the edges that close
 * it in order (from its first member met). For checks that tell the user about each loop (steps, bastions);
 * the edges carry what a diagnostic needs (the field that makes the dependency).
 */
export function findCycles<E extends { to: number }>(size: number, edgesOf: (item: number) => readonly E[]): CycleStep<E>[][] {
  const cycles: CycleStep<E>[][] = [];
  const reported = new Set<string>();
  const state = new Uint8Array(size); // 0 unvisited, 1 on the search path, 2 done
  const stack: CycleStep<E>[] = [];

  const visit = (item: number): void => {
    state[item] = 1;
    for (const edge of edgesOf(item)) {
      stack.push({ from: item, edge });
      if (state[edge.to] === 1) {
        const cycle = stack.slice(stack.findIndex((s) => s.from === edge.to));
        const key = rotationKey(cycle.map((s) => s.from));
        if (!reported.has(key)) {
          reported.add(key);
          cycles.push(cycle);
        }
      } else if (state[edge.to] === 0) visit(edge.to);
      stack.pop();
    }
    state[item] = 2;
  };
  for (let i = 0; i < size; i++) if (state[i] === 0) visit(i);
  return cycles;
}

/** The same cycle found from another starting point must not be reported twice: one key for every rotation. */
function rotationKey(members: number[]): string {
  const start = members.indexOf(Math.min(...members));
  return [...members.slice(start), ...members.slice(0, start)].join(',');
}
