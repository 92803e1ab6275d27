/**
 * One site's reconciles in the controller: at most one running and one pending. A request while one runs
 * marks the next as pending; any further requests coalesce into that one, which starts after the running one
 * ends and, being level-based, re-reads the revision and re-observes, so it sees everything the coalesced
 * requests were about. After each reconcile the worker schedules the next itself: the retry its outcome asks
 * for (backoff.ts), else the site's resync interval.
 *
 * Sites never share a worker, so one that hangs or fails delays no other.
 */
import { after, type Timers } from '../clock.js';

export type RequestResult = 'started' | 'queued' | 'coalesced' | 'suspended' | 'stopped';

export interface SiteWorkerOptions<R> {
  /** One reconcile; its rejection counts as a result too (`retryAfter` gets undefined). */
  reconcile(): Promise<R>;
  /** Milliseconds until the next reconcile after this result (null: only the interval), and the attempt number. */
  retryAfter(result: R | undefined, attempt: number): number | null;
  /** Whether the result is a failure, so the attempt count (and with it the backoff) grows. */
  failed(result: R | undefined): boolean;
  /** The resync interval. */
  intervalMs: number;
  timers: Timers;
  onSettled?(result: R | undefined, error?: unknown): void;
  /** The depth (running plus pending) changed. */
  onDepth?(depth: number): void;
}

export class SiteWorker<R> {
  #running: Promise<void> | undefined;
  #pending = false;
  #suspended = false;
  #stopped = false;
  #attempt = 0;
  #cancelNext: (() => void) | undefined;

  constructor(private readonly options: SiteWorkerOptions<R>) {}

  /** Asks for a reconcile; what became of the request. */
  request(): RequestResult {
    if (this.#stopped) return 'stopped';
    if (this.#suspended) return 'suspended';
    if (this.#running) {
      if (this.#pending) return 'coalesced';
      this.#pending = true;
      this.options.onDepth?.(this.depth);
      return 'queued';
    }
    this.#running = this.#loop();
    this.options.onDepth?.(this.depth);
    return 'started';
  }

  /** Running plus pending: 0, 1 or 2. */
  get depth(): number {
    return (this.#running ? 1 : 0) + (this.#pending ? 1 : 0);
  }

  get busy(): boolean {
    return this.#running !== undefined;
  }

  get suspended(): boolean {
    return this.#suspended;
  }

  /** No reconcile starts until resume (the running one finishes); scheduled ones are dropped. */
  suspend(): void {
    this.#suspended = true;
    this.#pending = false;
    this.#cancelNext?.();
  }

  resume(): RequestResult {
    this.#suspended = false;
    return this.request();
  }

  /** No further reconcile starts; resolves once the running one (if any) has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = false;
    this.#cancelNext?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#pending = false;
        this.options.onDepth?.(this.depth);
        this.#cancelNext?.();
        await this.#once();
      } while (this.#pending && !this.#stopped && !this.#suspended);
    } finally {
      this.#running = undefined;
      this.options.onDepth?.(this.depth);
    }
  }

  async #once(): Promise<void> {
    let result: R | undefined;
    let error: unknown;
    try {
      result = await this.options.reconcile();
    } catch (e) {
      error = e;
    }
    const failed = error !== undefined || this.options.failed(result);
    const retry = this.options.retryAfter(result, this.#attempt);
    this.#attempt = failed ? this.#attempt + 1 : 0;
    this.options.onSettled?.(result, error);
    this.#schedule(retry === null ? this.options.intervalMs : Math.min(retry, this.options.intervalMs));
  }

  #schedule(ms: number): void {
    if (this.#stopped || this.#suspended) return;
    this.#cancelNext = after(this.options.timers, ms, () => void this.request());
  }
}
