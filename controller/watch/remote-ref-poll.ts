import { after, type Timers } from '../clock.js';
import type { SourceWatch } from './source-watch.js';

export interface RemoteRefPollOptions {
  /** The interval in ms (the site's `poll`, 1 minute by default). */
  every: number;
  /** The spread around `every`, as a fraction: 0.05 draws each interval from every ± 5 %. */
  jitter: number;
  timers: Timers;
  /** In [0, 1), like Math.random: injected so a test knows each interval. */
  random: () => number;
  /** The ref's object now (remoteRefResolver), undefined when the ref does not exist. */
  resolve: () => Promise<string | undefined>;
  /**
   * What the caller last read, if anything: the first round compares with it. Without it, the poll takes
   * its baseline at once, so a move between the daemon's read and the first round is still seen.
   */
  since?: string;
  /** A round that could not list the ref (the server down): the next round tries again. */
  onError?: (error: unknown) => void;
}

/**
 * Polls a remote's ref: every interval ± jitter it re-resolves the ref, and calls `onChange` only when the
 * answer differs from the last one, so an idle site costs one ref listing a minute and no reconcile. The
 * interval is drawn afresh each round: many sites started together (or a controller restarted) spread
 * their polls over the window instead of hitting one Git server at the same instant, every minute.
 *
 * A round never overlaps the next: the next interval starts when a round ends, however slow the server.
 */
export function pollRemoteRef(opts: RemoteRefPollOptions, onChange: (oid: string) => void): SourceWatch {
  const state: PollState = { last: opts.since, known: opts.since !== undefined, closed: false, inFlight: Promise.resolve() };
  const check = async (): Promise<void> => {
    try {
      const oid = await opts.resolve();
      if (state.closed) return;
      const moved = state.known && oid !== state.last;
      state.last = oid;
      state.known = true;
      if (moved && oid !== undefined) onChange(oid);
    } catch (err) {
      if (!state.closed) opts.onError?.(err);
    }
  };
  const schedule = (): void => {
    if (state.closed) return;
    // One timer per round, so each interval has its own jitter.
    state.stop = after(opts.timers, intervalMs(opts), () => (state.inFlight = check().then(schedule)));
  };
  state.inFlight = (state.known ? Promise.resolve() : check()).then(schedule);
  return {
    close: async () => {
      state.closed = true;
      state.stop?.();
      await state.inFlight;
    },
  };
}

interface PollState {
  last: string | undefined;
  /** Whether `last` is a real observation (or `since`), so that the first listing is a baseline, not a move. */
  known: boolean;
  closed: boolean;
  stop?: () => void;
  inFlight: Promise<void>;
}

/** every ± jitter, from one draw of `random`; never below 1 ms whatever the configuration. */
export function intervalMs(opts: Pick<RemoteRefPollOptions, 'every' | 'jitter' | 'random'>): number {
  const spread = Math.min(Math.max(opts.jitter, 0), 1);
  return Math.max(1, Math.round(opts.every * (1 + spread * (2 * opts.random() - 1))));
}
