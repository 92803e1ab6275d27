/**
 * A notification on the wire: the provider's body, POSTed as JSON; a generic webhook's body signed with
 * HMAC-SHA256 under the route's secret (`X-Underlay-Signature: sha256=<hex>`, GitHub's scheme), so a
 * receiver can tell it came from this controller. The key is the secret's value without a trailing newline.
 */
import { createHmac } from 'node:crypto';
import { UnderlayError } from '../model/errors.js';
import type { AlertRoute } from './alert-route.js';
import { slackBody, webhookBody, type Notification } from './alert-payload.js';

export const SIGNATURE_HEADER = 'X-Underlay-Signature';

export function signature(body: string, key: Buffer): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

export const signingKey = (value: Buffer): Buffer => Buffer.from(value.toString('utf8').replace(/\r?\n$/, ''), 'utf8');

export interface Outgoing {
  route: AlertRoute;
  body: string;
}

export const bodyFor = (route: AlertRoute, n: Notification): string => (route.type === 'slack' ? slackBody(n) : webhookBody(n));

export async function sendNotification(out: Outgoing, deps: { fetch: typeof fetch; key: (name: string) => Promise<Buffer> }): Promise<void> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'underlay-alerts' };
  if (out.route.type === 'webhook' && out.route.secret !== undefined) headers[SIGNATURE_HEADER] = signature(out.body, signingKey(await deps.key(out.route.secret)));
  const response = await deps.fetch(out.route.url, { method: 'POST', headers, body: out.body, signal: AbortSignal.timeout(10_000) });
  // The body is read so the connection is free for the next delivery.
  await response.arrayBuffer();
  if (!response.ok) throw new UnderlayError({ code: 'AlertDeliveryFailed', message: `alert route answered ${response.status} ${response.statusText}`, data: { status: response.status } });
}
