/**
 * The JSON API of the sites (docs/controller.md): read their status, current plan, inventory snapshot, runs
 * and journal; approve a plan by its hash, suspend, resume, reconcile now, check drift now. Behind the bearer token (api-server.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { ControllerDaemon } from '../daemon/controller-daemon.js';
import type { SupervisedSite } from '../daemon/supervised-site.js';
import { inventorySnapshot } from '../inventory/snapshot.js';
import { readJsonBody, RequestError, type Reply } from './http-json.js';
import { getRollouts, postRollout } from './rollout-routes.js';

type SiteRoute = (site: SupervisedSite, rest: string[], req: IncomingMessage, url: URL) => Promise<[number, unknown]>;

const limitOf = (url: URL): number => {
  const n = Number(url.searchParams.get('limit') ?? '20');
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new RequestError(400, 'limit must be a whole number from 1 to 1000');
  return n;
};

async function journalOf(site: SupervisedSite, runId: number): Promise<[number, unknown]> {
  const run = await site.store.run(runId);
  if (!run) return [404, { error: `site ${site.name} has no run ${runId}` }];
  return [200, { run, journal: await site.store.journalOf(runId) }];
}

const GET: Record<string, SiteRoute> = {
  '': async (site) => [200, site.status()],
  plan: async (site) => {
    const plan = site.plan();
    return plan ? [200, plan] : [404, { error: `site ${site.name} has no plan yet` }];
  },
  // The snapshot carries hashes, not contents (docs/ci.md); secret files are only ever a verdict.
  inventory: async (site) => {
    const inventory = site.inventory();
    return inventory ? [200, inventorySnapshot(inventory)] : [404, { error: `site ${site.name} has not been observed yet` }];
  },
  runs: async (site, rest, _req, url) => {
    if (rest.length === 0) return [200, { runs: await site.store.runs(limitOf(url)) }];
    const runId = Number(rest[0]);
    if (!Number.isInteger(runId) || (rest[1] !== undefined && rest[1] !== 'journal') || rest.length > 2) throw new RequestError(404, 'no such endpoint');
    if (rest[1] === 'journal') return journalOf(site, runId);
    const run = await site.store.run(runId);
    return run ? [200, run] : [404, { error: `site ${site.name} has no run ${runId}` }];
  },
  drift: async (site) => [200, await site.drift()],
  journal: async (site) => {
    const [latest] = await site.store.runs(1);
    return latest ? journalOf(site, latest.id) : [404, { error: `site ${site.name} has no runs yet` }];
  },
  rollouts: (site, rest) => getRollouts(site, rest),
};

const POST: Record<string, SiteRoute> = {
  approve: async (site, _rest, req) => {
    const body = (await readJsonBody(req)) as { planHash?: unknown } | undefined;
    if (typeof body?.planHash !== 'string' || body.planHash === '') throw new RequestError(400, 'the body must be {"planHash": "<the plan hash to approve>"}');
    const result = site.approve(body.planHash);
    return result.approved ? [200, { approved: body.planHash }] : [409, { error: result.reason }];
  },
  suspend: async (site) => {
    site.suspend();
    return [200, { suspended: true }];
  },
  resume: async (site) => [202, { suspended: false, reconcile: site.resume() }],
  reconcile: async (site) => {
    const result = site.request('api');
    return result === 'suspended' ? [409, { error: `site ${site.name} is suspended: resume it first` }] : [202, { reconcile: result }];
  },
  drift: async (site) => {
    const result = site.requestDrift('api');
    return result === 'suspended' ? [409, { error: `site ${site.name} is suspended: resume it first` }] : [202, { drift: result }];
  },
  rollouts: (site, rest, req) => postRollout(site, rest, req),
};

export async function siteRoutes(req: IncomingMessage, url: URL, daemon: ControllerDaemon, reply: Reply): Promise<void> {
  const parts = url.pathname.slice('/api/v1/'.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'sites') return reply(404, { error: `no such endpoint: ${url.pathname}` });
  if (parts.length === 1) {
    if (req.method !== 'GET') return reply(405, { error: 'GET only' });
    return reply(200, { sites: daemon.sites().map((s) => s.status()) });
  }
  const site = daemon.site(parts[1] as string);
  if (!site) return reply(404, { error: `no site named ${parts[1]}` });
  const [action = '', ...rest] = parts.slice(2);
  const routes = req.method === 'GET' ? GET : req.method === 'POST' ? POST : {};
  const route = Object.hasOwn(routes, action) ? routes[action] : undefined;
  if (!route) return reply(req.method === 'GET' || req.method === 'POST' ? 404 : 405, { error: `no such endpoint: ${req.method} ${url.pathname}` });
  if (req.method === 'POST' && rest.length > 0 && action !== 'rollouts') return reply(404, { error: `no such endpoint: ${url.pathname}` });
  const [status, body] = await route(site, rest, req, url);
  return reply(status, body);
}
