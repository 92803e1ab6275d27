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

/** The longest delay setTimeout keeps: a longer one (a yearly cron, a 30-day resync) fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

interface TimerApi {
  set(task: () => void, ms: number): { unref(): unknown };
  clear(timer: { unref(): unknown }): void;
}

const nodeTimers: TimerApi = { set: (task, ms) => setTimeout(task, ms), clear: (timer) => clearTimeout(timer as NodeJS.Timeout) };

/**
 * `task` once, `ms` from now, however long that is: chained timeouts of at most MAX_TIMER_MS each. Unref'd
 * (unless `ref`): a renewal or schedule alone does not keep a finished process alive. Returns the cancel.
 */
export function longTimeout(ms: number, task: () => void, options: { ref?: boolean; api?: TimerApi } = {}): () => void {
  const api = options.api ?? nodeTimers;
  let timer: { unref(): unknown } | undefined;
  const wait = (left: number): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    timer = api.set(() => (left > step ? wait(left - step) : task()), step);
    if (options.ref !== true) timer.unref();
  };
  wait(Math.max(0, ms));
  return () => {
    if (timer) api.clear(timer);
  };
}

export const systemTimers: Timers = {
  every(ms, task) {
    let cancel: () => void = () => undefined;
    let stopped = false;
    const next = (): void => {
      cancel = longTimeout(ms, () => {
        const again = (): void => {
          if (!stopped) next();
        };
        task().then(again, again);
      });
    };
    next();
    return () => {
      stopped = true;
      cancel();
    };
  },
  sleep: (ms) => new Promise((resolve) => longTimeout(ms, () => resolve(), { ref: true })),
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
