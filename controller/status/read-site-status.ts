/**
 * Gathers what computeSiteStatus needs from the store (and the latest plan, when the caller has one).
 */
import type { Plan } from '../model/plan.js';
import type { StatusReader } from '../store/store.js';
import { clustersOfPlan, computeSiteStatus, type SiteStatus } from './site-status.js';

export async function readSiteStatus(store: StatusReader, options: { plan?: Plan; clusters?: Record<string, string[]> } = {}): Promise<SiteStatus> {
  const runs = await store.runs(50);
  const newest = runs[0];
  const interruptedInFlight = newest?.status === 'interrupted' ? await store.inFlightOf(newest.id) : [];
  const clusters = options.clusters ?? (options.plan ? clustersOfPlan(options.plan) : undefined);
  // A run that did not succeed may have worked on nodes without recording an outcome for them (skips do not count).
  const journal = newest && newest.status !== 'succeeded' ? await store.journalOf(newest.id) : [];
  const journalled = new Set(journal.filter((e) => e.phase !== 'skipped').map((e) => e.node));
  return computeSiteStatus({
    runs,
    interruptedInFlight,
    nodeStatuses: await store.nodeStatuses(),
    latestRunNodes: newest ? await store.runNodes(newest.id) : null,
    latestRunJournalled: [...journalled],
    ...(clusters ? { clusters } : {}),
    ...(options.plan ? { plan: options.plan } : {}),
  });
}
