/**
 * A site's alerts (controller/alerts): its routes from the configuration, its open incidents in the state
 * database (only its own: sites share the table), the secret store for signing keys and redaction; and
 * what a reconcile's outcome raises and resolves. Raising never waits for a delivery.
 */
import { certificateAlerts } from '../alerts/certificate-alerts.js';
import { createAlerter, type AlerterOptions, type RunningAlerter } from '../alerts/create-alerter.js';
import type { Incident } from '../alerts/alert.js';
import type { IssuedCertificateRecord } from '../store/issued-certificates.js';
import type { Clock, Timers } from '../clock.js';
import { describeError } from '../model/errors.js';
import type { Reconciled } from '../runtime/reconcile.js';
import type { ReconcileState } from '../runtime/reconcile-state.js';
import type { DirectorySecretStore } from '../secrets/secret-store.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { SiteConfig } from './controller-config.js';

export interface SiteAlerterOptions {
  site: SiteConfig;
  store: SqliteStore;
  secrets: DirectorySecretStore;
  clock: Clock;
  timers: Timers;
  random: () => number;
  onError(message: string): void;
  /** Each notification sent (firing, reminder, resolved): what the alerts counter counts. */
  onNotify?: AlerterOptions['onNotify'];
}

/** The shared incident table, seen as this site's alone. */
function siteIncidents(store: SqliteStore, site: string): IncidentStore<Incident> {
  const all = store.alertIncidents<Incident>();
  return { open: async () => (await all.open()).filter((i) => i.site === site), save: (i) => all.save(i), remove: (i) => all.remove(i) };
}

export function siteAlerter(o: SiteAlerterOptions): RunningAlerter {
  return createAlerter({
    routes: o.site.alerts,
    clock: o.clock,
    timers: o.timers,
    fetch,
    store: siteIncidents(o.store, o.site.name),
    secrets: { read: (name) => o.secrets.read(name), values: () => o.secrets.values() },
    random: o.random,
    onError: o.onError,
    ...(o.onNotify ? { onNotify: o.onNotify } : {}),
  });
}

/** CertificateExpiring for each installed certificate the CA issued that is close to its end and not renewed; resolved once it is. */
export function alertCertificates(alerter: RunningAlerter, site: string, issued: readonly IssuedCertificateRecord[], now: Date): void {
  const { raise, resolve } = certificateAlerts({ site, issued, now });
  for (const alert of raise) alerter.raise(alert);
  for (const key of resolve) alerter.resolve(site, 'CertificateExpiring', key);
}

/** The source, the signature, the apply and each cluster's rollout: raised when the reconcile says so, resolved when it got past them. */
export function alertReconcile(alerter: RunningAlerter, site: SiteConfig, reconciled: Reconciled<ReconcileState>): void {
  const { outcome, state } = reconciled;
  const name = site.name;
  if (outcome.type === 'fail' && outcome.step === 'fetch-revision') {
    alerter.raise({ site: name, reason: 'SourceUnreachable', key: '', summary: `the source of site ${name} cannot be read: ${describeError(outcome.error)}`, details: { repository: site.source.repository, ref: site.source.ref ?? 'HEAD' } });
    return;
  }
  alerter.resolve(name, 'SourceUnreachable', '');
  if (outcome.type === 'stall' && outcome.code === 'SignatureRefused') {
    alerter.raise({ site: name, reason: 'SignatureRefused', key: '', summary: `site ${name}: ${outcome.message}`, details: { revision: state.revision?.commit ?? null } });
    return;
  }
  if (state.revision) alerter.resolve(name, 'SignatureRefused', '');
  if (state.changeSet) alertRun(alerter, name, reconciled);
}

/** What a run (an apply) raises and resolves: ApplyFailed for the site, RolloutHalted per cluster. */
function alertRun(alerter: RunningAlerter, name: string, { state }: Reconciled<ReconcileState>): void {
  const changeSet = state.changeSet!;
  const failed = Object.entries(changeSet.nodes).filter(([, n]) => n.error !== undefined);
  if (changeSet.status === 'failed') {
    const nodes = Object.fromEntries(failed.map(([node, n]) => [node, { code: n.error?.code, message: n.error?.message }]));
    alerter.raise({ site: name, reason: 'ApplyFailed', key: '', summary: `run ${changeSet.runId} of site ${name} failed on ${failed.length} node(s): ${failed.map(([n]) => n).join(', ')}`, details: { runId: changeSet.runId, revision: state.plan?.revision.commit ?? null, nodes } });
  } else if (changeSet.status === 'succeeded') {
    alerter.resolve(name, 'ApplyFailed', '');
  }
  const halted = new Map(changeSet.conditions.filter((c) => c.type === 'RolloutHalted').map((c) => [c.cluster ?? '', c]));
  for (const [cluster, c] of halted) alerter.raise({ site: name, reason: 'RolloutHalted', key: cluster, summary: `the rollout of cluster ${cluster} halted: ${c.message}`, details: { runId: changeSet.runId, reason: c.reason } });
  if (changeSet.status === 'interrupted') return;
  for (const rollout of state.plan?.rollout ?? []) if (!halted.has(rollout.cluster)) alerter.resolve(name, 'RolloutHalted', rollout.cluster);
}
