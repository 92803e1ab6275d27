/**
 * The API's bearer token: compared in constant time (over SHA-256 digests, so the length of the token a
 * caller sends tells it nothing either).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

export function bearerTokenMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m || token.length === 0) return false;
  return timingSafeEqual(digest(Buffer.from(m[1] as string, 'utf8')), digest(token));
}

/** The token as the secret store holds it: its text, without the line break an editor adds. */
export function tokenFromSecret(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('utf8').trim(), 'utf8');
}
