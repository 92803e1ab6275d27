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
