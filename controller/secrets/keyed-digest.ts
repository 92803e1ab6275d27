/**
 * Keyed digests of controller secrets (ADR 0014): how a secret delivered to a node is compared with the
 * store without its value, or a plain hash of it, ever leaving the controller. A plain sha256 of a short
 * token is as good as the token to anyone who can guess it; an HMAC under a key only the controller holds
 * is not.
 *
 * The site's digest key (32 random bytes, made once per site in the secret store) never leaves the
 * controller either: each node gets, per file, a key derived from it, so what one node sees says nothing
 * about another node's files.
 */
import { createHmac } from 'node:crypto';

const SCOPE = 'underlay secretFile v1';

/** The HMAC-SHA256 key of one file on one node of one site, derived from the site's digest key. */
export function deliveryKey(digestKey: Uint8Array, target: { site: string; node: string; path: string }): Buffer {
  return createHmac('sha256', digestKey).update([SCOPE, target.site, target.node, target.path].join('\0')).digest();
}

/** HMAC-SHA256 of `content` under `key`, as lower-case hex. */
export function keyedDigest(key: Uint8Array, content: Uint8Array): string {
  return createHmac('sha256', key).update(content).digest('hex');
}
