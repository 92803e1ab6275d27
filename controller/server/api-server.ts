/**
 * The controller's API listener (127.0.0.1 by default): /healthz, /readyz and /metrics for whatever runs the
 * process, and the JSON API under /api/v1 for people and the CLI, behind a bearer token from the secret
 * store. Webhooks have a listener of their own (controller/watch), so exposing one never exposes the other.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControllerDaemon } from '../daemon/controller-daemon.js';
import type { ControllerMetrics } from '../daemon/controller-metrics.js';
import { bearerTokenMatches } from './bearer-token.js';
import { replier, RequestError } from './http-json.js';
import { siteRoutes } from './site-routes.js';

export interface ApiServerOptions {
  host: string;
  port: number;
  daemon: ControllerDaemon;
  metrics: ControllerMetrics;
  /** The API's bearer token, read from the secret store when the server starts. */
  token: Buffer;
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ApiServerOptions): Promise<void> {
  const reply = replier(res);
  const url = new URL(req.url ?? '/', 'http://controller');
  if (req.method === 'GET' && url.pathname === '/healthz') return reply(200, { status: 'ok' });
  if (req.method === 'GET' && url.pathname === '/readyz') {
    const readiness = options.daemon.readiness();
    return reply(readiness.ready ? 200 : 503, readiness);
  }
  if (req.method === 'GET' && url.pathname === '/metrics') {
    const text = await options.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
    res.end(text);
    return;
  }
  if (!url.pathname.startsWith('/api/v1/')) return reply(404, { error: `no such endpoint: ${url.pathname}` });
  if (!bearerTokenMatches(req.headers.authorization, options.token)) {
    res.setHeader('www-authenticate', 'Bearer realm="underlay"');
    return reply(401, { error: 'a bearer token is required (Authorization: Bearer <the controller API token>)' });
  }
  return siteRoutes(req, url, options.daemon, reply);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      const status = error instanceof RequestError ? error.status : 500;
      if (!res.headersSent) replier(res)(status, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
