/**
 * Spans of time in the site format, the one definition of them: `90s`, `30m`, `24h`, `7d`, `1h30m`. The
 * pattern has no lookahead, so the CRDs generated from it are valid for Kubernetes.
 */
import { z } from 'zod';

export const Duration = z
  .string()
  .regex(/^(\d+d(\d+h)?(\d+m)?(\d+s)?|\d+h(\d+m)?(\d+s)?|\d+m(\d+s)?|\d+s)$/, 'must be a duration such as "30s", "5m", "1h30m", "24h" or "7d"');

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/** Seconds in a duration the schema accepted. */
export function durationSeconds(duration: string): number {
  let seconds = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)([dhms])/g)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  return seconds;
}
