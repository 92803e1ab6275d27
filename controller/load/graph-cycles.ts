/**
 * Cycles in a dependency graph of named things (steps reading each other's outputs, nodes jumping through
 * each other as bastions), found by depth-first search from each thing in the order given. Each cycle is
 * returned once, however many of its members the search starts from, as the edges that close it in order.
 */
export interface GraphEdge {
  to: string;
}

export interface CycleStep<E extends GraphEdge> {
  from: string;
  edge: E;
}

export function findCycles<E extends GraphEdge>(names: readonly string[], edgesOf: (name: string) => readonly E[]): CycleStep<E>[][] {
  const cycles: CycleStep<E>[][] = [];
  const reported = new Set<string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: CycleStep<E>[] = [];

  const visit = (name: string): void => {
    state.set(name, 'visiting');
    for (const edge of edgesOf(name)) {
      stack.push({ from: name, edge });
      if (state.get(edge.to) === 'visiting') {
        const cycle = stack.slice(stack.findIndex((s) => s.from === edge.to));
        const key = canonical(cycle.map((s) => s.from));
        if (!reported.has(key)) {
          reported.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(edge.to)) visit(edge.to);
      stack.pop();
    }
    state.set(name, 'done');
  };
  for (const name of names) if (!state.has(name)) visit(name);
  return cycles;
}

/** The same cycle found from another starting point must not be reported twice. */
function canonical(names: string[]): string {
  const sorted = [...names].sort();
  const start = names.indexOf(sorted[0]!);
  return [...names.slice(start), ...names.slice(0, start)].join('\0');
}
