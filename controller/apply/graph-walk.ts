/**
 * Walks a dependency graph the way Terraform's dag walk does: an item starts when its dependencies are
 * done, independent items run concurrently. Two bounds on top: items of one lane (a node) run one at a
 * time, in input order among those ready, and at most `concurrency` laned items run at once. Items without a
 * lane (rollout gates) are cheap bookkeeping and are not bounded.
 *
 * An item whose dependency did not succeed is not run: the visitor is told why, so it can record the skip.
 * Items marked `afterSettled` wait for their dependencies to end in any way (a batch gate must see failures).
 */
import { indexDependencies, Readiness, topologicalOrder, type Dependencies } from '../model/graph.js';
import { UnderlayError } from '../model/errors.js';

export interface WalkItem {
  id: string;
  /** Ids not among the items are taken as already satisfied (done before this walk). */
  dependsOn: readonly string[];
  lane?: string;
  afterSettled?: boolean;
}

export type WalkOutcome =
  | { status: 'succeeded' }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; reason: string };

export interface WalkOptions<T extends WalkItem> {
  /** Order matters: among ready items of a lane, the earliest goes first. */
  items: readonly T[];
  /** Laned items running at once. */
  concurrency: number;
  /**
   * Runs (or skips, when `blockedBy` is set) one item. Throwing aborts the walk: it means the walker itself
   * can no longer be trusted (the journal could not be written), not that the item failed.
   */
  visit(item: T, blockedBy: string | null): Promise<WalkOutcome>;
}

/** A plan's graph is acyclic by construction (the planner orders it), so a cycle here is a bug, not an input. */
export class DependencyCycle extends UnderlayError<{ ids: string[] }> {
  constructor(ids: string[]) {
    super({ code: 'DependencyCycle', message: `dependency cycle among: ${ids.join(', ')}`, data: { ids } });
  }
}

/** Index edges among the items: ids not among them are taken as done before the walk. */
function dependenciesOf(items: readonly WalkItem[]): Dependencies {
  return indexDependencies(
    items.map((i) => i.id),
    (i) => items[i]!.dependsOn,
  ).dependsOn;
}

function blockedBy(item: WalkItem, outcomes: ReadonlyMap<string, WalkOutcome>): string | null {
  if (item.afterSettled) return null;
  for (const dep of item.dependsOn) {
    const outcome = outcomes.get(dep);
    if (outcome && outcome.status !== 'succeeded') return `dependency ${outcome.status}: ${dep}`;
  }
  return null;
}

export async function walkGraph<T extends WalkItem>(options: WalkOptions<T>): Promise<Map<string, WalkOutcome>> {
  const { items, visit } = options;
  const concurrency = Math.max(1, options.concurrency);
  const dependencies = dependenciesOf(items);
  // Refused before anything runs, naming the items that could never start.
  const sorted = topologicalOrder(dependencies);
  if (!sorted.ok) throw new DependencyCycle(sorted.blocked.map((i) => items[i]!.id).sort());
  const readiness = new Readiness(dependencies);
  const index = new Map(items.map((item, i) => [item.id, i]));
  const outcomes = new Map<string, WalkOutcome>();
  // Ready items per lane, kept in input order; '' holds the unlaned ones.
  const ready = new Map<string, T[]>();
  const busyLanes = new Set<string>();
  let running = 0;
  let inFlight = 0;
  let settled = 0;
  let aborted: unknown = undefined;

  const enqueue = (item: T): void => {
    const lane = item.lane ?? '';
    const queue = ready.get(lane) ?? [];
    const at = index.get(item.id) as number;
    let pos = queue.length;
    while (pos > 0 && (index.get((queue[pos - 1] as T).id) as number) > at) pos--;
    queue.splice(pos, 0, item);
    ready.set(lane, queue);
  };
  for (const i of readiness.initial()) enqueue(items[i]!);

  return await new Promise((resolve, reject) => {
    const finishIfDone = (): boolean => {
      if (aborted !== undefined) {
        if (inFlight === 0) reject(aborted instanceof Error ? aborted : new Error(String(aborted)));
        return true;
      }
      if (settled === items.length) {
        resolve(outcomes);
        return true;
      }
      return false;
    };

    const start = (item: T): void => {
      const lane = item.lane;
      inFlight++;
      if (lane !== undefined) {
        busyLanes.add(lane);
        running++;
      }
      const release = (): void => {
        inFlight--;
        if (lane !== undefined) {
          busyLanes.delete(lane);
          running--;
        }
      };
      visit(item, blockedBy(item, outcomes)).then(
        (outcome) => {
          release();
          outcomes.set(item.id, outcome);
          settled++;
          for (const next of readiness.complete(index.get(item.id) as number)) enqueue(items[next]!);
          pump();
        },
        (error: unknown) => {
          release();
          aborted ??= error;
          pump();
        },
      );
    };

    const pump = (): void => {
      if (finishIfDone()) return;
      const unlaned = ready.get('') ?? [];
      ready.delete('');
      for (const item of unlaned) start(item);
      while (running < concurrency) {
        let best: T | undefined;
        for (const [lane, queue] of ready) {
          if (lane === '' || busyLanes.has(lane) || queue.length === 0) continue;
          const head = queue[0] as T;
          if (!best || (index.get(head.id) as number) < (index.get(best.id) as number)) best = head;
        }
        if (!best) break;
        (ready.get(best.lane as string) as T[]).shift();
        start(best);
      }
      if (inFlight === 0 && [...ready.values()].every((q) => q.length === 0)) {
        // Unreachable for an acyclic graph; kept so a logic error shows as an error, not a hang.
        reject(new Error('graph walk stalled with items neither ready nor running'));
      }
    };
    pump();
  });
}
