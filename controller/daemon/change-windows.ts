/**
 * Change windows, in the spirit of Argo CD's sync windows: each opens on a cron schedule and stays open for
 * its duration. Outside every `allow` window (when a site has any) and inside any `deny` window, the
 * controller plans and reports but applies nothing. Pure: the time is an argument (from the injected clock).
 */
import { Cron } from 'croner';
import { durationSeconds } from '../spec/duration.js';
import type { ChangeWindow } from './controller-config.js';

export type WindowDecision =
  | { open: true }
  /** `until`: when to look again (the deny window closes, the next allow window opens); null: never. */
  | { open: false; reason: string; until: Date | null };

const cronOf = (w: ChangeWindow): Cron => new Cron(w.schedule, { paused: true, timezone: w.timezone ?? 'UTC' });

/** When the window's opening that covers `at` began, if one does. */
function openedAt(w: ChangeWindow, at: Date): Date | null {
  const ms = durationSeconds(w.duration) * 1000;
  const opening = cronOf(w).nextRun(new Date(at.getTime() - ms));
  return opening && opening.getTime() <= at.getTime() ? opening : null;
}

const describe = (w: ChangeWindow): string => `${w.kind} window "${w.schedule}" for ${w.duration}`;

const earliest = (dates: readonly (Date | null)[]): Date | null =>
  dates.reduce<Date | null>((min, d) => (d && (!min || d.getTime() < min.getTime()) ? d : min), null);

export function changeWindowAt(windows: readonly ChangeWindow[], at: Date): WindowDecision {
  const denying = windows.filter((w) => w.kind === 'deny').map((w) => ({ w, opened: openedAt(w, at) })).filter((d) => d.opened !== null);
  if (denying.length > 0) {
    const until = earliest(denying.map((d) => new Date((d.opened as Date).getTime() + durationSeconds(d.w.duration) * 1000)));
    return { open: false, reason: `inside the ${describe(denying[0]!.w)}`, until };
  }
  const allows = windows.filter((w) => w.kind === 'allow');
  if (allows.length === 0 || allows.some((w) => openedAt(w, at) !== null)) return { open: true };
  return { open: false, reason: `outside every allow window (${allows.map(describe).join(', ')})`, until: earliest(allows.map((w) => cronOf(w).nextRun(at))) };
}
