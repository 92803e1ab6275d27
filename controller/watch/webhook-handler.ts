import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import { DEFAULT_DELIVERIES_REMEMBERED, MemoryDeliveryLog, type DeliveryLog } from './delivery-log.js';
import { RateLimit } from './rate-limit.js';
import { PROVIDERS, type WebhookProvider } from './webhook-provider.js';

/** A site that receives push webhooks, with its secret read from the secret store (never from Git). */
export interface WebhookSite {
  site: string;
  provider: WebhookProvider;
  secret: string;
}

/** Why a request did not become a push, for metrics and logs: a fixed set, never the request's own text. */
export type WebhookRefusal =
  | 'method-not-allowed'
  | 'unknown-site'
  | 'rate-limited'
  | 'busy'
  | 'too-large'
  | 'no-secret'
  | 'missing-signature'
  | 'bad-signature'
  | 'missing-delivery-id'
  | 'replayed';

export interface WebhookHandlerOptions {
  /** Read on every request, so a reloaded configuration (SIGHUP) applies to the next delivery. */
  sites: () => readonly WebhookSite[];
  clock: Clock;
  /** Bodies larger than this are refused with 413 before they are held whole; 4 MiB by default. */
  maxBodyBytes?: number;
  /** Requests per minute per site, bursts up to the same number; 300 by default. */
  ratePerMinute?: number;
  /**
   * Bodies being received at once per site; more get 503. With the size cap it bounds the memory a flood
   * of slow uploads can hold (8 × 4 MiB by default), which the rate limit alone does not.
   */
  maxInFlight?: number;
  /** Ids remembered per site to drop replays, in memory; 10,000 by default. Unused with `deliveryLog`. */
  deliveriesRemembered?: number;
  /**
   * A site's log of accepted delivery ids, asked on every delivery: the controller's is in its store, so a
   * replay after a restart is still dropped. In memory per site by default.
   */
  deliveryLog?: (site: string) => DeliveryLog;
  /** A verified push: the daemon enqueues a reconcile, which re-reads the ref. Nothing else is passed on. */
  onPush: (site: string) => void;
  onRefused?: (site: string | undefined, reason: WebhookRefusal) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_RATE_PER_MINUTE = 300;
export const DEFAULT_MAX_IN_FLIGHT = 8;

type Outcome = { status: number; result: string; refused?: WebhookRefusal; headers?: Record<string, string>; push?: { delivery: string } };

/**
 * The receiver of `POST /hooks/<site>`. A delivery becomes `onPush(site)` only when, in this order: the site
 * is configured, its rate allows another request (429), the body fits the cap (413), the signature or token
 * verifies against the raw bytes received (401), it carries a delivery id (400) not seen before (a replay is
 * answered 200 and dropped), and its event is a push (other events are answered and ignored).
 *
 * The payload is never parsed: which commit to apply always comes from re-reading the ref, so a replayed,
 * reordered or forged-but-signed payload can never roll a site back or name a commit of its own.
 */
export function webhookHandler(opts: WebhookHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const rate = new RateLimit(opts.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE, opts.clock);
  const deliveries = new Map<string, DeliveryLog>();
  const inMemory = (site: string): DeliveryLog => {
    let log = deliveries.get(site);
    if (log === undefined) deliveries.set(site, (log = new MemoryDeliveryLog(opts.deliveriesRemembered ?? DEFAULT_DELIVERIES_REMEMBERED)));
    return log;
  };
  const logFor = opts.deliveryLog ?? inMemory;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const inFlight = new Map<string, number>();
  return (req, res) => {
    receive(req, { opts, rate, logFor, maxBodyBytes, inFlight })
      .then(
        ({ site, outcome }) => {
          answer(req, res, outcome);
          if (outcome.refused !== undefined) opts.onRefused?.(site, outcome.refused);
        },
        () => answer(req, res, { status: 500, result: 'internal error' }),
      )
      // A failing onRefused (a metric, a log line) must not take the listener down with an unhandled rejection.
      .catch(() => undefined);
  };
}

interface Receiver {
  opts: WebhookHandlerOptions;
  rate: RateLimit;
  logFor: (site: string) => DeliveryLog;
  maxBodyBytes: number;
  /** Bodies being read, per site. */
  inFlight: Map<string, number>;
}

async function receive(req: IncomingMessage, r: Receiver): Promise<{ site: string | undefined; outcome: Outcome }> {
  const name = siteOf(req.url);
  const site = name === undefined ? undefined : r.opts.sites().find((s) => s.site === name);
  if (req.method !== 'POST') return { site: site?.site, outcome: { status: 405, result: 'only POST', refused: 'method-not-allowed', headers: { Allow: 'POST' } } };
  if (site === undefined) return { site: undefined, outcome: { status: 404, result: 'no such webhook', refused: 'unknown-site' } };
  if (!r.rate.take(site.site)) {
    return { site: site.site, outcome: { status: 429, result: 'too many requests', refused: 'rate-limited', headers: { 'Retry-After': String(r.rate.retryAfterSeconds(site.site)) } } };
  }
  const reading = r.inFlight.get(site.site) ?? 0;
  if (reading >= (r.opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT)) {
    return { site: site.site, outcome: { status: 503, result: 'busy receiving other deliveries', refused: 'busy', headers: { 'Retry-After': '1' } } };
  }
  r.inFlight.set(site.site, reading + 1);
  const body = await readBody(req, r.maxBodyBytes).finally(() => r.inFlight.set(site.site, (r.inFlight.get(site.site) ?? 1) - 1));
  if (body === 'too-large') return { site: site.site, outcome: { status: 413, result: `body over ${r.maxBodyBytes} bytes`, refused: 'too-large' } };
  const outcome = accept(site, req, body, r);
  if (outcome.push !== undefined) {
    try {
      r.opts.onPush(site.site);
    } catch (err) {
      // Not taken: the Git host's retry of this delivery must not be dropped as a replay.
      r.logFor(site.site).forget(outcome.push.delivery);
      throw err;
    }
  }
  return { site: site.site, outcome };
}

/** Everything after the body is in: the checks that need the bytes, in the order the handler promises. */
function accept(site: WebhookSite, req: IncomingMessage, body: Buffer, r: Receiver): Outcome {
  const rules = PROVIDERS[site.provider];
  // An empty secret would make every HMAC forgeable: the site refuses until it has one.
  if (site.secret === '') return { status: 401, result: 'no secret configured for this webhook', refused: 'no-secret' };
  const signature = header(req, rules.signatureHeader);
  if (signature === undefined) return { status: 401, result: `${rules.signatureHeader} missing`, refused: 'missing-signature' };
  if (!rules.verify(site.secret, body, signature)) return { status: 401, result: 'signature does not match', refused: 'bad-signature' };
  const delivery = header(req, rules.deliveryHeader);
  if (delivery === undefined) return { status: 400, result: `${rules.deliveryHeader} missing`, refused: 'missing-delivery-id' };
  if (!r.logFor(site.site).firstTime(delivery)) return { status: 200, result: 'delivery seen before; ignored', refused: 'replayed' };
  if (!rules.pushEvents.has(header(req, rules.eventHeader) ?? '')) return { status: 200, result: 'not a push; ignored' };
  return { status: 202, result: 'accepted; the ref will be re-read', push: { delivery } };
}

const HOOK_PATH = /^\/hooks\/([^/?#]+)\/?(?:\?.*)?$/;

function siteOf(url: string | undefined): string | undefined {
  const match = HOOK_PATH.exec(url ?? '');
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/** The raw bytes, as sent: the HMAC is over them, so nothing may decode or re-encode them first. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // Stop holding it; the answer closes the connection.
        req.removeAllListeners('data');
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // A sender that went away, or the listener's request timeout, ends the read as an error, freeing its slot.
    req.on('error', reject);
  });
}

function answer(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  if (res.headersSent) return;
  // A body left unread (413, 429, 405) must not be parsed as the next request on a kept-alive connection.
  const unread = !req.complete;
  res.writeHead(outcome.status, { 'Content-Type': 'application/json', ...(unread ? { Connection: 'close' } : {}), ...outcome.headers });
  res.end(`${JSON.stringify({ result: outcome.result })}\n`);
}
