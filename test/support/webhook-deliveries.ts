/**
 * Push webhooks as GitHub, GitLab and Gitea send them, signed for real (HMAC-SHA256 over the exact body
 * bytes, or GitLab's token), and sent over real HTTP(S). For the receiver's tests and the controller's
 * end-to-end tests (a burst of pushes, a replay, a forged signature).
 */
import { createHmac, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { WebhookProvider } from '../../controller/watch/webhook-provider.js';

export interface Delivery {
  headers: Record<string, string>;
  body: Buffer;
}

export interface DeliveryOptions {
  /** A fresh UUID unless given (a replay gives an old one). */
  id?: string;
  /** `push` (GitLab: `Push Hook`) unless given. */
  event?: string;
  body?: Buffer | string;
  /** Sign with this secret instead (a forged delivery); the delivery is still well-formed. */
  signWith?: string;
}

const EVENT_HEADER: Record<WebhookProvider, string> = { github: 'X-GitHub-Event', gitlab: 'X-Gitlab-Event', gitea: 'X-Gitea-Event' };
const DELIVERY_HEADER: Record<WebhookProvider, string> = { github: 'X-GitHub-Delivery', gitlab: 'X-Gitlab-Event-UUID', gitea: 'X-Gitea-Delivery' };

/**
 * A push payload naming a commit: the receiver must never use it (the controller re-reads the ref), which
 * is why it names one that exists nowhere.
 */
export function pushPayload(ref = 'refs/heads/main'): string {
  return JSON.stringify({ ref, before: '0'.repeat(40), after: 'deadbeef'.repeat(5), repository: { full_name: 'ops/site' } });
}

export function signedDelivery(provider: WebhookProvider, secret: string, opts: DeliveryOptions = {}): Delivery {
  const body = Buffer.from(opts.body ?? pushPayload());
  const key = opts.signWith ?? secret;
  const hmac = createHmac('sha256', key).update(body).digest('hex');
  const signature: Record<WebhookProvider, [string, string]> = {
    github: ['X-Hub-Signature-256', `sha256=${hmac}`],
    gitlab: ['X-Gitlab-Token', key],
    gitea: ['X-Gitea-Signature', hmac],
  };
  const [signatureHeader, signatureValue] = signature[provider];
  const event = opts.event ?? (provider === 'gitlab' ? 'Push Hook' : 'push');
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      [EVENT_HEADER[provider]]: event,
      [DELIVERY_HEADER[provider]]: opts.id ?? randomUUID(),
      [signatureHeader]: signatureValue,
    },
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** POSTs a delivery (chunked when `chunked`, so no Content-Length tells the size up front). */
export function deliver(url: string, delivery: Delivery, opts: { ca?: string; chunked?: boolean; method?: string } = {}): Promise<Answer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? https.request : http.request;
  const headers = { ...delivery.headers, ...(opts.chunked ? {} : { 'Content-Length': String(delivery.body.length) }) };
  return new Promise((resolve, reject) => {
    const req = request(target, { method: opts.method ?? 'POST', headers, agent: false, ...(opts.ca === undefined ? {} : { ca: opts.ca }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(delivery.body);
  });
}

/** `n` distinct, correctly signed push deliveries sent at once; resolves to their statuses in order. */
export function deliverBurst(url: string, provider: WebhookProvider, secret: string, n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () => deliver(url, signedDelivery(provider, secret)).then((a) => a.status)));
}
