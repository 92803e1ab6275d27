/**
 * One queue that serialises work per key (a site, a node, a cache directory) and runs different keys
 * concurrently. Every place that must not interleave two tasks on one thing uses it, so there is one
 * rule for ordering: a task starts after every earlier task of its key has settled, whether that one
 * succeeded or failed, and a failure is its caller's alone (it does not poison later tasks).
 *
 * In-process only: across processes the site lock and the node leases (ADR 0008) do this job.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task for `key` has settled; resolves or rejects with its result. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    // Forget a key once its last task settles, so a long-running controller does not keep one entry per
    // node or revision it ever saw.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with a task queued or running. */
  get busyKeys(): number {
    return this.#tails.size;
  }
}
