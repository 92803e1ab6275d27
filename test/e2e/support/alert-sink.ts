/**
 * A local HTTP receiver for the controller's generic webhook alerts: every delivery kept in arrival order
 * with its signature header, so tests assert what was sent, in what order, and that it was signed.
 * Waits poll what has arrived, bounded, never for a length of time.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AlertDelivery {
  body: string;
  signature: string | undefined;
}

export interface AlertSink {
  /** Where the controller's `alerts: [{type: webhook, url}]` route points. */
  url: string;
  deliveries: AlertDelivery[];
  /** Every delivery's body, parsed, in arrival order. */
  alerts(): Record<string, unknown>[];
  /** The first delivery `match` accepts (bounded: 2 minutes); `explain` adds to the error (the controller's output). */
  waitFor(match: (alert: Record<string, unknown>) => boolean, what: string, explain?: () => string): Promise<Record<string, unknown>>;
  /** Whether every delivery carries `X-Underlay-Signature: sha256=<HMAC-SHA256 of its body under key>`. */
  allSignedWith(key: string): boolean;
  close(): Promise<void>;
}

export async function startAlertSink(): Promise<AlertSink> {
  const deliveries: AlertDelivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      deliveries.push({ body, signature: req.headers['x-underlay-signature'] as string | undefined });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const alerts = (): Record<string, unknown>[] => deliveries.map((d) => JSON.parse(d.body) as Record<string, unknown>);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    deliveries,
    alerts,
    async waitFor(match, what, explain) {
      for (let i = 0; i < 1200; i++) {
        const found = alerts().find(match);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no ${what} alert in 2 minutes:\n${explain?.() ?? ''}`);
    },
    allSignedWith: (key) => deliveries.every((d) => d.signature === `sha256=${createHmac('sha256', key).update(d.body).digest('hex')}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
