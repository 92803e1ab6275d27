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

/**
 * setTimeout's longest delay (2^31 - 1 ms, about 24.8 days). Node fires a longer one after 1 ms instead
 * (TimeoutOverflowWarning), which made a yearly drift schedule or a 30d resync run without pause.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

type SetTimeout = (fn: () => void, ms: number) => { unref(): unknown };

/**
 * Calls `fn` after `ms`, however long: a delay past MAX_TIMEOUT_MS is waited in parts. `onTimer` gets each
 * part's timer (to clear it); `unref`: the wait alone does not keep the process alive.
 */
export function waitInParts(ms: number, fn: () => void, onTimer: (timer: ReturnType<SetTimeout>) => void, options: { unref?: boolean; setTimeout?: SetTimeout } = {}): void {
  const set = options.setTimeout ?? setTimeout;
  const part = Math.min(ms, MAX_TIMEOUT_MS);
  const timer = set(() => (ms > MAX_TIMEOUT_MS ? waitInParts(ms - MAX_TIMEOUT_MS, fn, onTimer, options) : fn()), part);
  if (options.unref) timer.unref();
  onTimer(timer);
}

export const systemTimers: Timers = {
  every(ms, task) {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const next = (): void => {
      waitInParts(
        ms,
        () => {
          const again = (): void => {
            if (!stopped) next();
          };
          task().then(again, again);
        },
        (t) => (timer = t as NodeJS.Timeout),
        // A renewal alone must not keep a finished process alive.
        { unref: true },
      );
    };
    next();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  },
  sleep: (ms) => new Promise((resolve) => waitInParts(ms, () => resolve(), () => undefined)),
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
