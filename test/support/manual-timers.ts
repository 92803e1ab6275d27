/**
 * Timers a test drives by hand (controller/clock.ts): nothing fires until `advance`, which moves the clock
 * and runs what fell due, in order. Together with its clock, so tests never sleep or assert on durations.
 */
import type { Clock, Timers } from '../../controller/clock.js';

interface Scheduled {
  at: number;
  every: number;
  task: () => Promise<void>;
  stopped: boolean;
}

export interface ManualTime {
  clock: Clock;
  timers: Timers;
  /** Moves time forward by `ms`, running each timer that falls due (periodic ones again and again). */
  advance(ms: number): Promise<void>;
  /** Timers not stopped, with when they fire next (ms from the start). */
  pending(): number[];
}

export function manualTime(start = '2025-01-01T00:00:00.000Z'): ManualTime {
  let now = Date.parse(start);
  const origin = now;
  const scheduled: Scheduled[] = [];
  const timers: Timers = {
    every(ms, task) {
      const entry = { at: now + ms, every: ms, task, stopped: false };
      scheduled.push(entry);
      return () => {
        entry.stopped = true;
      };
    },
    sleep(ms) {
      return new Promise((resolve) => {
        const stop = timers.every(ms, async () => {
          stop();
          resolve();
        });
      });
    },
  };
  const due = (until: number): Scheduled | undefined =>
    scheduled.filter((s) => !s.stopped && s.at <= until).sort((a, b) => a.at - b.at)[0];
  return {
    clock: { now: () => new Date(now) },
    timers,
    async advance(ms) {
      const until = now + ms;
      for (let next = due(until); next; next = due(until)) {
        now = Math.max(now, next.at);
        next.at += next.every;
        await next.task();
        // Let what the task started settle before the next timer.
        await new Promise((resolve) => setImmediate(resolve));
      }
      now = until;
    },
    pending: () => scheduled.filter((s) => !s.stopped).map((s) => s.at - origin),
  };
}
