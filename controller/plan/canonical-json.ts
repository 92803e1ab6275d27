/**
 * Canonical JSON and hashing for plans: keys sorted, no whitespace, so the same value always gives the same
 * bytes (and hash) whatever order its producer built it in. Hashing is pure, so the core may use it.
 */
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

const stringify = configure({ deterministic: true, bigint: false, circularValue: TypeError });

export function canonicalJson(value: unknown, indent?: number): string {
  const out = stringify(value, null, indent);
  if (out === undefined) throw new TypeError('value has no JSON representation');
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** First characters of a hash, enough to tell two versions apart in a reason or a table. */
export function shortHash(hash: string | undefined): string {
  return hash ? hash.slice(0, 12) : '(none)';
}
