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
  const dependencies = dependenciesOf(options.items);
  // Refused before anything runs, naming the items that could never start.
  const sorted = topologicalOrder(dependencies);
  if (!sorted.ok) throw new DependencyCycle(sorted.blocked.map((i) => options.items[i]!.id).sort());
  return await new Promise((resolve, reject) => new GraphWalk(options, new Readiness(dependencies), { resolve, reject }).begin());
}

/** One walk's bookkeeping: what is ready per lane, what runs, what has settled. */
class GraphWalk<T extends WalkItem> {
  private readonly items: readonly T[];
  private readonly concurrency: number;
  private readonly index: Map<string, number>;
  private readonly outcomes = new Map<string, WalkOutcome>();
  /** Ready items per lane, kept in input order; '' holds the unlaned ones. */
  private readonly ready = new Map<string, T[]>();
  private readonly busyLanes = new Set<string>();
  private running = 0;
  private inFlight = 0;
  private settled = 0;
  private aborted: unknown = undefined;

  constructor(
    private readonly options: WalkOptions<T>,
    private readonly readiness: Readiness,
    private readonly done: { resolve: (outcomes: Map<string, WalkOutcome>) => void; reject: (error: Error) => void },
  ) {
    this.items = options.items;
    this.concurrency = Math.max(1, options.concurrency);
    this.index = new Map(this.items.map((item, i) => [item.id, i]));
  }

  begin(): void {
    for (const i of this.readiness.initial()) this.enqueue(this.items[i]!);
    this.pump();
  }

  private position(item: T): number {
    return this.index.get(item.id) as number;
  }

  private enqueue(item: T): void {
    const lane = item.lane ?? '';
    const queue = this.ready.get(lane) ?? [];
    const at = this.position(item);
    let pos = queue.length;
    while (pos > 0 && this.position(queue[pos - 1] as T) > at) pos--;
    queue.splice(pos, 0, item);
    this.ready.set(lane, queue);
  }

  private finishIfDone(): boolean {
    if (this.aborted !== undefined) {
      if (this.inFlight === 0) this.done.reject(this.aborted instanceof Error ? this.aborted : new Error(String(this.aborted)));
      return true;
    }
    if (this.settled === this.items.length) {
      this.done.resolve(this.outcomes);
      return true;
    }
    return false;
  }

  private start(item: T): void {
    const lane = item.lane;
    this.inFlight++;
    if (lane !== undefined) {
      this.busyLanes.add(lane);
      this.running++;
    }
    const release = (): void => {
      this.inFlight--;
      if (lane !== undefined) {
        this.busyLanes.delete(lane);
        this.running--;
      }
    };
    this.options.visit(item, blockedBy(item, this.outcomes)).then(
      (outcome) => {
        release();
        this.outcomes.set(item.id, outcome);
        this.settled++;
        for (const next of this.readiness.complete(this.position(item))) this.enqueue(this.items[next]!);
        this.pump();
      },
      (error: unknown) => {
        release();
        this.aborted ??= error;
        this.pump();
      },
    );
  }

  /** The earliest ready item of a free lane. */
  private nextLaned(): T | undefined {
    let best: T | undefined;
    for (const [lane, queue] of this.ready) {
      if (lane === '' || this.busyLanes.has(lane) || queue.length === 0) continue;
      const head = queue[0] as T;
      if (!best || this.position(head) < this.position(best)) best = head;
    }
    return best;
  }

  private pump(): void {
    if (this.finishIfDone()) return;
    const unlaned = this.ready.get('') ?? [];
    this.ready.delete('');
    for (const item of unlaned) this.start(item);
    while (this.running < this.concurrency) {
      const best = this.nextLaned();
      if (!best) break;
      (this.ready.get(best.lane as string) as T[]).shift();
      this.start(best);
    }
    if (this.inFlight === 0 && [...this.ready.values()].every((q) => q.length === 0)) {
      // Unreachable for an acyclic graph; kept so a logic error shows as an error, not a hang.
      this.done.reject(new Error('graph walk stalled with items neither ready nor running'));
    }
  }
}
