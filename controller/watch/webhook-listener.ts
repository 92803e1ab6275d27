import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface WebhookListenerOptions {
  host: string;
  /** 0 picks a free port; `url` says which. */
  port: number;
  /** PEM text of the certificate (chain) and its key; without it the listener speaks plain HTTP (behind a proxy). */
  tls?: { cert: string; key: string };
}

export interface WebhookListener {
  url: string;
  close(): Promise<void>;
}

/** A sender gets this long to send its headers, and the whole request: a slow client cannot hold a socket. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The webhook receiver's own listener, apart from the API's: it faces the Git host (often the internet),
 * while the API stays on 127.0.0.1. It serves nothing but the handler it is given.
 */
export async function startWebhookListener(opts: WebhookListenerOptions, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<WebhookListener> {
  const server = opts.tls === undefined ? http.createServer(handler) : https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler);
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `${opts.tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
