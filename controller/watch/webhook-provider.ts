import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookProvider = 'github' | 'gitlab' | 'gitea';

/** How one Git host signs, names and types its deliveries (lower-case header names, as node:http gives them). */
export interface ProviderRules {
  signatureHeader: string;
  deliveryHeader: string;
  eventHeader: string;
  /** Events that mean a ref may have moved; anything else (ping, issues, ...) is answered and ignored. */
  pushEvents: ReadonlySet<string>;
  /** Whether `signature` proves the sender holds `secret`, for exactly these body bytes where the host signs them. */
  verify(secret: string, body: Buffer, signature: string): boolean;
}

export const PROVIDERS: Readonly<Record<WebhookProvider, ProviderRules>> = {
  // `sha256=<hex HMAC-SHA256 of the body>`; the older SHA-1 X-Hub-Signature is never accepted.
  github: {
    signatureHeader: 'x-hub-signature-256',
    deliveryHeader: 'x-github-delivery',
    eventHeader: 'x-github-event',
    pushEvents: new Set(['push']),
    verify: (secret, body, signature) => signature.startsWith('sha256=') && hmacMatches(secret, body, signature.slice('sha256='.length)),
  },
  // GitLab sends the secret itself, not a signature of the body: all that can be checked is the token.
  gitlab: {
    signatureHeader: 'x-gitlab-token',
    deliveryHeader: 'x-gitlab-event-uuid',
    eventHeader: 'x-gitlab-event',
    pushEvents: new Set(['Push Hook', 'Tag Push Hook']),
    verify: (secret, _body, token) => sameSecret(secret, token),
  },
  // Bare hex HMAC-SHA256 of the body.
  gitea: {
    signatureHeader: 'x-gitea-signature',
    deliveryHeader: 'x-gitea-delivery',
    eventHeader: 'x-gitea-event',
    pushEvents: new Set(['push']),
    verify: (secret, body, signature) => hmacMatches(secret, body, signature),
  },
};

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Constant time in the signature's content; its length (always 64 hex digits when well-formed) is no secret. */
function hmacMatches(secret: string, body: Buffer, hex: string): boolean {
  if (!SHA256_HEX.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

/** Compared as digests, so neither the content nor the length of the secret shows in the time taken. */
function sameSecret(secret: string, token: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(secret), digest(token));
}
