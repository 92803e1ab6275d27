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

/** Pieces are gathered into chunks of about this size: one hash.update per piece cost more than the hashing. */
const CHUNK_CHARS = 1 << 16;

class ChunkedHash {
  #pending = '';
  readonly #hash: Hash;

  constructor(hash: Hash) {
    this.#hash = hash;
  }

  update(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.#pending !== '') this.#hash.update(this.#pending);
    this.#pending = '';
  }
}

function feed(hash: ChunkedHash, value: unknown, depth: number): void {
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
  const chunked = new ChunkedHash(hash);
  feed(chunked, value, streamDepth);
  chunked.flush();
  return hash.digest('hex');
}
