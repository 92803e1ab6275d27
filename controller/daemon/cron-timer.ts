/**
 * A task on a cron schedule (croner parses it), timed by the injected clock and timers rather than croner's
 * own: tests move time by hand, and a schedule never fires twice for one occurrence.
 */
import { Cron } from 'croner';
import { after, type Clock, type Timers } from '../clock.js';

export function onCronSchedule(options: { expression: string; timezone?: string; clock: Clock; timers: Timers }, task: () => void): () => void {
  const cron = new Cron(options.expression, { paused: true, timezone: options.timezone ?? 'UTC' });
  let cancel: () => void = () => undefined;
  let stopped = false;
  const next = (): void => {
    const now = options.clock.now();
    const at = cron.nextRun(now);
    if (stopped || !at) return;
    cancel = after(options.timers, Math.max(1, at.getTime() - now.getTime()), () => {
      task();
      next();
    });
  };
  next();
  return () => {
    stopped = true;
    cancel();
  };
}
