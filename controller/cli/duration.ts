/**
 * Durations on the command line, as people write them: `90` (seconds), `500ms`, `30s`, `5m`, `1h`. Anything
 * else is a usage error rather than a guess.
 */
import { UsageError } from './io.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} must be a duration such as 30s, 5m or 500ms, got ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 's'] as number));
}
