/**
 * The controller's Prometheus metrics (prom-client), on a registry of its own so that two controllers in one
 * test process never share counters. Labels are site ids, revisions, clusters, outcomes and reasons: never a
 * secret, a path on a node or file content.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ControllerMetrics {
  registry: Registry;
  reconcileDuration: Histogram<'site' | 'outcome'>;
  reconciles: Counter<'site' | 'outcome' | 'code'>;
  lastAppliedRevision: Gauge<'site' | 'revision'>;
  driftedResources: Gauge<'site'>;
  breakerTripped: Gauge<'site' | 'cluster'>;
  queueDepth: Gauge<'site'>;
  changes: Counter<'site' | 'outcome'>;
  webhookRequests: Counter<'site' | 'result'>;
  alerts: Counter<'site' | 'reason' | 'state'>;
  heartbeat: Gauge;
  siteSuspended: Gauge<'site'>;
}

export function createControllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    reconcileDuration: new Histogram({
      name: 'underlay_reconcile_duration_seconds',
      help: 'Wall time of one reconcile of a site, by how it ended (done, stall, wait, fail).',
      labelNames: ['site', 'outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    reconciles: new Counter({ name: 'underlay_reconciles_total', help: 'Reconciles of a site, by outcome and the code it stopped with.', labelNames: ['site', 'outcome', 'code'], registers }),
    lastAppliedRevision: new Gauge({ name: 'underlay_last_applied_revision_info', help: 'The commit the latest successful run of a site applied (value 1).', labelNames: ['site', 'revision'], registers }),
    driftedResources: new Gauge({ name: 'underlay_drifted_resources', help: 'Resources of a site that differ from the last applied revision.', labelNames: ['site'], registers }),
    breakerTripped: new Gauge({ name: 'underlay_circuit_breaker_tripped', help: "1 while a cluster's rollout is halted by its circuit breaker, else 0.", labelNames: ['site', 'cluster'], registers }),
    queueDepth: new Gauge({ name: 'underlay_reconcile_queue_depth', help: "A site's reconciles running plus pending (at most 2: further requests coalesce).", labelNames: ['site'], registers }),
    changes: new Counter({ name: 'underlay_changes_total', help: 'Changes carried out, by outcome (applied, failed, skipped).', labelNames: ['site', 'outcome'], registers }),
    webhookRequests: new Counter({ name: 'underlay_webhook_requests_total', help: 'Webhook deliveries, by result (accepted, refused with a reason).', labelNames: ['site', 'result'], registers }),
    alerts: new Counter({ name: 'underlay_alerts_total', help: 'Alerts raised and resolved, by reason.', labelNames: ['site', 'reason', 'state'], registers }),
    heartbeat: new Gauge({ name: 'underlay_controller_heartbeat_timestamp_seconds', help: 'When the controller last showed it is alive (Unix time).', registers }),
    siteSuspended: new Gauge({ name: 'underlay_site_suspended', help: '1 while a site is suspended.', labelNames: ['site'], registers }),
  };
}
