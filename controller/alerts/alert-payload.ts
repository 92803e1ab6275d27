/**
 * What a notification says, as each provider's request body. The generic webhook gets the incident as
 * canonical JSON (stable bytes, so a receiver can check the signature over exactly what was sent); Slack
 * gets text and blocks an incoming webhook shows. Both are built from the redacted incident only.
 */
import { canonicalJson } from '../model/canonical-json.js';
import { RESOLVED_EVENT, type AlertStatus, type Incident } from './alert.js';

export const ALERT_API_VERSION = 'underlay.dev/v1alpha1';

export interface Notification {
  status: AlertStatus;
  incident: Incident;
  /** When this notification was made. */
  at: string;
}

export function webhookBody(n: Notification): string {
  const { incident: i } = n;
  return canonicalJson({
    apiVersion: ALERT_API_VERSION,
    kind: 'Alert',
    event: n.status === 'resolved' ? RESOLVED_EVENT[i.reason] : i.reason,
    status: n.status,
    site: i.site,
    reason: i.reason,
    key: i.key,
    summary: i.summary,
    details: i.details,
    openedAt: i.openedAt,
    sentAt: n.at,
    ...(n.status === 'resolved' ? { resolvedAt: n.at } : {}),
  });
}

const HEADLINE: Record<AlertStatus, string> = { firing: 'FIRING', reminder: 'STILL FIRING', resolved: 'RESOLVED' };

/** Slack escapes only these three in mrkdwn text. */
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackBody(n: Notification): string {
  const { incident: i } = n;
  const event = n.status === 'resolved' ? RESOLVED_EVENT[i.reason] : i.reason;
  const text = `[${HEADLINE[n.status]}] ${i.site}: ${event}: ${i.summary}`;
  const facts = Object.entries(i.details).map(([k, v]) => `*${escape(k)}*: ${escape(typeof v === 'string' ? v : JSON.stringify(v))}`);
  return canonicalJson({
    text: escape(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escape(text)}*` } },
      ...(facts.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: escape(`site ${i.site} · key ${i.key || '(site)'} · opened ${i.openedAt} · sent ${n.at}`) }] },
    ],
  });
}
