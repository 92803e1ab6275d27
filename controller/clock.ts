/**
 * The controller's only source of time. Passed in so journals, runs and tests are reproducible: a test gives
 * a fixed clock and reads exact timestamps back.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to (each read advances by `stepMs`), for tests and simulations. */
export function steppingClock(start = '2025-01-01T00:00:00.000Z', stepMs = 1000): Clock {
  let t = Date.parse(start);
  return {
    now: () => {
      const d = new Date(t);
      t += stepMs;
      return d;
    },
  };
}

/**
 * Waiting, passed in like the clock: lock waits poll and leases renew on these, so tests drive them by hand
 * instead of sleeping.
 */
export interface Timers {
  /**
   * Calls `task` every `ms` until the returned function is called; a slow task is never run twice at once.
   * The task handles its own failures: a rejection only ends that round.
   */
  every(ms: number, task: () => Promise<void>): () => void;
  sleep(ms: number): Promise<void>;
}

export const systemTimers: Timers = {
  every(ms, task) {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const next = (): void => {
      timer = setTimeout(() => {
        const again = (): void => {
          if (!stopped) next();
        };
        task().then(again, again);
      }, ms);
      // A renewal alone must not keep a finished process alive.
      timer.unref();
    };
    next();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Calls `task` once, `ms` from now, unless the returned function is called first: a one-shot timer made of
 * `every`, so whatever drives a Timers drives it too. A task's promise is the timer's round, so whoever
 * drives the timers (a test's manual time) sees the task through before moving on.
 */
export function after(timers: Timers, ms: number, task: () => void | Promise<void>): () => void {
  let done = false;
  const stop = timers.every(ms, async () => {
    if (!done) {
      done = true;
      stop();
      await task();
    }
  });
  return () => {
    done = true;
    stop();
  };
}
