/**
 * Alerts: what the controller tells people when something needs them. An alert belongs to an incident,
 * one per site, reason and key (the drifted resource, the failing node...): raising it again while it is
 * open sends nothing (a reminder goes out at the reminder interval), and resolving it sends one resolved
 * notification. The controller's parts raise and resolve; createAlerter delivers, without ever making
 * them wait.
 */
import type { StoredIncident } from '../store/incident-store.js';

export type AlertReason = 'DriftDetected' | 'ApplyFailed' | 'RolloutHalted' | 'SourceUnreachable' | 'SignatureRefused' | 'CertificateExpiring';

/** The event a resolved notification of each reason is (the reason itself names the firing one). */
export const RESOLVED_EVENT: Record<AlertReason, string> = {
  DriftDetected: 'DriftResolved',
  ApplyFailed: 'ApplySucceeded',
  RolloutHalted: 'RolloutResumed',
  SourceUnreachable: 'SourceReachable',
  SignatureRefused: 'SignatureAccepted',
  CertificateExpiring: 'CertificateRenewed',
};

export interface Alert {
  site: string;
  reason: AlertReason;
  /** What the incident is about within the site and reason: a resource id, a node, a certificate, '' for the site. */
  key: string;
  summary: string;
  /** Plain JSON values; any secret value in them is redacted before delivery. */
  details: Record<string, unknown>;
}

export interface Alerter {
  /** Opens the incident and notifies, or, when it is open, refreshes its summary and details silently. Never waits. */
  raise(alert: Alert): void;
  /** Closes the incident and sends its resolved notification; nothing when it is not open. Never waits. */
  resolve(site: string, reason: AlertReason, key: string): void;
  /** Stops reminders and retries; waits for the deliveries in flight. */
  close(): Promise<void>;
}

/** An open incident, as persisted: a restart neither alerts it again nor forgets to remind or resolve it. */
export interface Incident extends Alert, StoredIncident {
  reason: AlertReason;
}

export const incidentId = (a: Pick<Alert, 'site' | 'reason' | 'key'>): string => `${a.site}\u0000${a.reason}\u0000${a.key}`;

export type AlertStatus = 'firing' | 'reminder' | 'resolved';
