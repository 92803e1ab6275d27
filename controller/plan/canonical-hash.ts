/**
 * sha256 of a value's canonical JSON, streamed: a first-apply plan of a large site is tens of megabytes of
 * JSON, and hashing it piecewise avoids building that string. The bytes hashed are exactly those of
 * canonicalJson(value) (a test holds the two together).
 */
import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function feed(hash: Hash, value: unknown, depth: number): void {
  if (depth === 0 || (!Array.isArray(value) && !isPlainObject(value))) {
    hash.update(canonicalJson(value));
    return;
  }
  if (Array.isArray(value)) {
    hash.update('[');
    value.forEach((item, i) => {
      if (i > 0) hash.update(',');
      // JSON writes null for array holes and undefined items, as canonicalJson does.
      if (item === undefined) hash.update('null');
      else feed(hash, item, depth - 1);
    });
    hash.update(']');
    return;
  }
  hash.update('{');
  let first = true;
  for (const key of Object.keys(value).sort()) {
    const item = value[key];
    if (item === undefined) continue;
    if (!first) hash.update(',');
    first = false;
    hash.update(`${JSON.stringify(key)}:`);
    feed(hash, item, depth - 1);
  }
  hash.update('}');
}

export function canonicalSha256(value: unknown, streamDepth = 2): string {
  const hash = createHash('sha256');
  feed(hash, value, streamDepth);
  return hash.digest('hex');
}
