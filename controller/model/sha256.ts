/**
 * The one sha256 of the code: file contents, resource and plan hashes, cache names and host-key fingerprints
 * all go through here. Hashing is pure, so the core (load, resolve, plan) may use it.
 */
import { createHash, hash, type Hash } from 'node:crypto';

/** sha256 of text (as UTF-8) or bytes, in hex (or base64, as SSH fingerprints want it). */
export function sha256(content: string | Uint8Array, encoding: 'hex' | 'base64' = 'hex'): string {
  // One-shot: a Hash object per call cost more than hashing the short inputs planning hashes by the hundred thousand.
  return hash('sha256', content, encoding);
}

/** Pieces are gathered into chunks of about this size: one hash.update per piece cost more than the hashing. */
const CHUNK_CHARS = 1 << 16;

/**
 * sha256 of text handed over in pieces, for inputs too large to build as one string (a first-apply plan of a
 * large site is tens of megabytes of JSON). The digest is that of the pieces joined.
 */
export class Sha256Stream {
  #pending = '';
  readonly #hash: Hash = createHash('sha256');

  update(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= CHUNK_CHARS) this.#flush();
  }

  /** Hex digest; the stream is used up. */
  digest(): string {
    this.#flush();
    return this.#hash.digest('hex');
  }

  #flush(): void {
    if (this.#pending !== '') this.#hash.update(this.#pending);
    this.#pending = '';
  }
}

/** First characters of a hash, enough to tell two versions apart in a reason or a table. */
export function shortHash(hash: string | undefined): string {
  return hash ? hash.slice(0, 12) : '(none)';
}
