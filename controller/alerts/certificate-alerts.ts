/**
 * Certificates close to expiry as alerts: the newest installed, unrevoked certificate of each node's
 * certificate resource that expires within `warnBefore` raises CertificateExpiring (renewal should have
 * replaced it long before: something keeps it from being renewed); a newer one, or one far from expiry,
 * resolves it. Pure: `now` is given.
 */
import { byCodeUnit } from '../model/order.js';
import type { IssuedCertificateRecord } from '../store/issued-certificates.js';
import type { Alert } from './alert.js';

export const DEFAULT_EXPIRY_WARNING_MS = 7 * 24 * 60 * 60_000;

export function certificateAlerts(input: { site: string; issued: readonly IssuedCertificateRecord[]; now: Date; warnBeforeMs?: number }): { raise: Alert[]; resolve: string[] } {
  const current = new Map<string, IssuedCertificateRecord>();
  for (const c of input.issued) {
    if (c.installedAt === null || c.revokedAt !== null) continue;
    const key = `${c.node}/${c.certificate}`;
    const seen = current.get(key);
    if (!seen || seen.issuedAt < c.issuedAt) current.set(key, c);
  }
  const warnBefore = input.warnBeforeMs ?? DEFAULT_EXPIRY_WARNING_MS;
  const raise: Alert[] = [];
  const resolve: string[] = [];
  for (const [key, c] of [...current].sort(([a], [b]) => byCodeUnit(a, b))) {
    const left = Date.parse(c.notAfter) - input.now.getTime();
    if (left > warnBefore) {
      resolve.push(key);
      continue;
    }
    const when = left <= 0 ? `expired at ${c.notAfter}` : `expires at ${c.notAfter}, in ${Math.floor(left / 3_600_000)} h`;
    raise.push({
      site: input.site,
      reason: 'CertificateExpiring',
      key,
      summary: `certificate ${c.certificate} on ${c.node} ${when} and has not been renewed`,
      details: { node: c.node, certificate: c.certificate, authority: c.authority, serial: c.serial, notAfter: c.notAfter, fingerprint: c.fingerprint },
    });
  }
  return { raise, resolve };
}
