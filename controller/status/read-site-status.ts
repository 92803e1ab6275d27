/**
 * Gathers what computeSiteStatus needs from the store (and the latest plan, when the caller has one).
 */
import type { Plan } from '../model/plan.js';
import type { Store } from '../store/store.js';
import { clustersOfPlan, computeSiteStatus, type SiteStatus } from './site-status.js';

export async function readSiteStatus(store: Store, options: { plan?: Plan; clusters?: Record<string, string[]> } = {}): Promise<SiteStatus> {
  const runs = await store.runs(50);
  const newest = runs[0];
  const interruptedInFlight = newest?.status === 'interrupted' ? await store.inFlightOf(newest.id) : [];
  const clusters = options.clusters ?? (options.plan ? clustersOfPlan(options.plan) : undefined);
  return computeSiteStatus({
    runs,
    interruptedInFlight,
    nodeStatuses: await store.nodeStatuses(),
    ...(clusters ? { clusters } : {}),
    ...(options.plan ? { plan: options.plan } : {}),
  });
}
