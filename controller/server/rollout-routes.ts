/**
 * The rollouts of a site over the API, as `underlay rollout` shows and steers them (ADR 0019):
 *   GET  /api/v1/sites/SITE/rollouts[/CLUSTER]
 *   POST /api/v1/sites/SITE/rollouts/CLUSTER/pause|abort|resume   (resume: optional {"recovered": [nodes]})
 * What each may do is decided by controller/rollout/rollout-control.ts, in the store's transaction; a
 * resume asks for a reconcile, which carries the rollout on.
 */
import type { IncomingMessage } from 'node:http';
import type { SupervisedSite } from '../daemon/supervised-site.js';
import { controlRollout, type RolloutAction } from '../rollout/rollout-control.js';
import { readJsonBody, RequestError } from './http-json.js';

export async function getRollouts(site: SupervisedSite, rest: string[]): Promise<[number, unknown]> {
  const all = await site.store.rolloutStates();
  if (rest.length === 0) return [200, { rollouts: all }];
  const found = rest.length === 1 ? all.find((r) => r.cluster === rest[0]) : undefined;
  return found ? [200, found] : [404, { error: `site ${site.name} has no rollout of cluster ${rest.join('/')}` }];
}

async function actionOf(verb: string | undefined, req: IncomingMessage): Promise<RolloutAction> {
  if (verb === 'pause' || verb === 'abort') return { action: verb };
  if (verb !== 'resume') throw new RequestError(404, 'POST rollouts/CLUSTER/pause, abort or resume');
  const body = (await readJsonBody(req)) as { recovered?: unknown } | undefined;
  const recovered = body?.recovered;
  if (recovered !== undefined && (!Array.isArray(recovered) || !recovered.every((n) => typeof n === 'string'))) {
    throw new RequestError(400, 'the body must be {"recovered": ["<node>", ...]} or nothing');
  }
  return { action: 'resume', ...(recovered ? { recovered: recovered as string[] } : {}) };
}

export async function postRollout(site: SupervisedSite, rest: string[], req: IncomingMessage): Promise<[number, unknown]> {
  const [cluster, verb, ...more] = rest;
  if (cluster === undefined || more.length > 0) throw new RequestError(404, 'POST rollouts/CLUSTER/pause, abort or resume');
  const action = await actionOf(verb, req);
  let decision: ReturnType<typeof controlRollout> | undefined;
  await site.store.changeRolloutState(cluster, (current) => {
    decision = controlRollout(current, cluster, action);
    return decision.ok ? decision.write : undefined;
  });
  if (!decision?.ok) return [409, { error: decision?.message ?? `no rollout of cluster ${cluster}` }];
  if (action.action !== 'resume') return [200, { message: decision.message }];
  return [202, { message: decision.message, reconcile: site.request('api') }];
}
