/**
 * The alerter: incidents opened, refreshed, reminded and resolved in the order they are raised (one chain
 * of operations, so a resolve never overtakes its raise), persisted when a store is given, and handed to
 * one delivery queue per route. raise and resolve return at once: delivery never holds up a reconcile.
 */
import type { Clock, Timers } from '../clock.js';
import { describeError } from '../model/errors.js';
import type { BackoffPolicy } from '../runtime/backoff.js';
import { incidentId, type Alert, type Alerter, type AlertReason, type AlertStatus, type Incident } from './alert.js';
import { DEFAULT_REMINDER, reminderMs, routeId, type AlertRoute } from './alert-route.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { IncidentStore } from '../store/incident-store.js';
import { redact } from './redact.js';
import { bodyFor, sendNotification, type Outgoing } from './send-notification.js';
import { durationSeconds } from '../spec/duration.js';

/** What the alerter reads of the secret store: a route's signing key, and every value a payload must not carry. */
export interface AlertSecrets {
  read(name: string): Promise<Buffer>;
  /** The secret values the controller holds (route keys are added to them). */
  values(): Promise<readonly string[]>;
}

export interface AlerterOptions {
  routes: readonly AlertRoute[];
  clock: Clock;
  timers: Timers;
  fetch: typeof fetch;
  store?: IncidentStore<Incident>;
  secrets: AlertSecrets;
  /** Milliseconds between reminders of an open incident, for routes without their own `reminder`; default 4h. */
  reminderEvery?: number;
  /** How often open incidents are looked at for reminders; default a minute. */
  reminderCheckEvery?: number;
  random?: () => number;
  backoff?: BackoffPolicy;
  /** Attempts per delivery before it is given up; default 8. */
  maxAttempts?: number;
  /** Failures nobody waits for (a delivery given up, the store failing), for the log. */
  onError?: (message: string) => void;
  /** Each notification queued (once per incident and status, whatever the routes): for the alerts metric and the log. */
  onNotify?: (notice: { site: string; reason: AlertReason; key: string; status: AlertStatus }) => void;
}

/** The Alerter, and (for shutdown and tests) a way to wait until everything raised so far is delivered or waiting to retry. */
export interface RunningAlerter extends Alerter {
  settled(): Promise<void>;
}

class IncidentAlerter implements RunningAlerter {
  readonly #incidents = new Map<string, Incident>();
  readonly #queues: Map<string, DeliveryQueue<Outgoing>>;
  readonly #stopReminders: () => void;
  #chain: Promise<void>;

  constructor(private readonly o: AlerterOptions) {
    const onError = o.onError ?? (() => undefined);
    this.#queues = new Map(o.routes.map((route) => [routeId(route), new DeliveryQueue<Outgoing>({
      send: (out) => sendNotification(out, { fetch: o.fetch, key: (name) => o.secrets.read(name) }),
      timers: o.timers,
      random: o.random ?? Math.random,
      policy: o.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 },
      maxAttempts: o.maxAttempts ?? 8,
      onGiveUp: (_out, error, attempts) => onError(`alert route ${routeId(route)}: delivery given up after ${attempts} attempts: ${describeError(error)}`),
    })]));
    this.#chain = this.#load();
    this.#stopReminders = o.timers.every(o.reminderCheckEvery ?? 60_000, () => this.#then(() => this.#remind()));
  }

  async #load(): Promise<void> {
    for (const incident of (await this.o.store?.open()) ?? []) this.#incidents.set(incidentId(incident), incident);
  }

  #then(op: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(op).catch((error: unknown) => (this.o.onError ?? (() => undefined))(`alerts: ${describeError(error)}`));
    return this.#chain;
  }

  raise(alert: Alert): void {
    void this.#then(async () => {
      const open = this.#incidents.get(incidentId(alert));
      if (open) {
        const refreshed = { ...open, summary: alert.summary, details: alert.details };
        this.#incidents.set(incidentId(alert), refreshed);
        await this.o.store?.save(refreshed);
        return;
      }
      const incident: Incident = { ...alert, openedAt: this.#now(), notifiedAt: {} };
      this.#incidents.set(incidentId(alert), incident);
      await this.#notify(incident, 'firing', this.o.routes);
    });
  }

  resolve(site: string, reason: AlertReason, key: string): void {
    void this.#then(async () => {
      const open = this.#incidents.get(incidentId({ site, reason, key }));
      if (!open) return;
      this.#incidents.delete(incidentId(open));
      await this.o.store?.remove(open);
      await this.#notify(open, 'resolved', this.o.routes);
    });
  }

  async #remind(): Promise<void> {
    const now = this.o.clock.now().getTime();
    const fallback = this.o.reminderEvery ?? durationSeconds(DEFAULT_REMINDER) * 1000;
    for (const incident of [...this.#incidents.values()]) {
      const due = this.o.routes.filter((r) => {
        const last = incident.notifiedAt[routeId(r)];
        return last === undefined || now - Date.parse(last) >= reminderMs(r, fallback);
      });
      if (due.length > 0) await this.#notify(incident, 'reminder', due);
    }
  }

  /** Redacted once for every route, queued, and the routes' notification times persisted with the incident. */
  async #notify(incident: Incident, status: AlertStatus, routes: readonly AlertRoute[]): Promise<void> {
    const at = this.#now();
    // A route whose key cannot be read fails its own delivery (signing reads it again); the others go on.
    const routeKeys = await Promise.all(routes.filter((r) => r.secret !== undefined).map((r) => this.o.secrets.read(r.secret as string).then((b) => b.toString('utf8'), () => '')));
    // The store's values failing to load fails the notification: nothing is sent unredacted.
    const secrets = [...(await this.o.secrets.values()), ...routeKeys].flatMap((s) => [s, s.trim()]);
    const shown = redact(incident, secrets);
    for (const route of routes) this.#queues.get(routeId(route))?.push({ route, body: bodyFor(route, { status, incident: shown, at }) });
    this.o.onNotify?.({ site: incident.site, reason: incident.reason, key: incident.key, status });
    if (status === 'resolved') return;
    const notified: Incident = { ...incident, notifiedAt: { ...incident.notifiedAt, ...Object.fromEntries(routes.map((r) => [routeId(r), at])) } };
    this.#incidents.set(incidentId(incident), notified);
    await this.o.store?.save(notified);
  }

  #now(): string {
    return this.o.clock.now().toISOString();
  }

  async settled(): Promise<void> {
    await this.#chain;
    await Promise.all([...this.#queues.values()].map((q) => q.idle()));
  }

  async close(): Promise<void> {
    this.#stopReminders();
    await this.#chain;
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
  }
}

export function createAlerter(options: AlerterOptions): RunningAlerter {
  return new IncidentAlerter(options);
}
