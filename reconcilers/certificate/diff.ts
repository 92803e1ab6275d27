/**
 * Pure diff of a node certificate: issue when missing, re-issue when the request (subject, SANs, usages,
 * key type) changed or when the certificate is in the last third of its validity.
 */
import { canonicalJson } from '../../controller/model/canonical-json.js';
import { sha256, shortHash } from '../../controller/model/sha256.js';
import type { DiffInput, DiffResult } from '../kind.js';
import type { DesiredCertificate, ObservedCertificate } from './schema.js';
import { missingReason, pruneResult, UNMANAGED_TAKEOVER } from '../diff-support.js';

const DAY_MS = 86_400_000;

/**
 * What the certificate was asked for, independent of list order. Apply records this as `requestHash` when it
 * issues, so it must be computed here and nowhere else.
 */
export function certificateRequestHash(d: DesiredCertificate): string {
  return sha256(
    canonicalJson({
      ca: d.ca,
      commonName: d.commonName,
      dnsNames: [...d.dnsNames].sort(),
      ipAddresses: [...d.ipAddresses].sort(),
      usages: [...d.usages].sort(),
      keyType: d.keyType,
      keyPath: d.keyPath,
      certPath: d.certPath,
    }),
  );
}

// Members in key order: the plan hash then serialises them natively.
function certificateAfter(d: DesiredCertificate): Record<string, unknown> {
  return {
    ca: d.ca,
    certPath: d.certPath,
    commonName: d.commonName,
    dnsNames: d.dnsNames,
    ipAddresses: d.ipAddresses,
    keyPath: d.keyPath,
    keyType: d.keyType,
    name: d.name,
    requestHash: certificateRequestHash(d),
    usages: d.usages,
    validityDays: d.validityDays,
  };
}

function certificateBefore(o: ObservedCertificate): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  if (o.fingerprint !== undefined) before.fingerprint = o.fingerprint;
  before.name = o.name;
  if (o.notAfter !== undefined) before.notAfter = o.notAfter;
  if (o.requestHash !== undefined) before.requestHash = o.requestHash;
  return before;
}

function renewalReason(d: DesiredCertificate, o: ObservedCertificate, now: string | undefined): string | null {
  if (o.notAfter === undefined) return 'expiry unknown';
  if (now === undefined) return null;
  const remainingMs = Date.parse(o.notAfter) - Date.parse(now);
  if (Number.isNaN(remainingMs)) return `unreadable expiry ${o.notAfter}`;
  if (remainingMs <= 0) return `expired at ${o.notAfter}`;
  const thresholdMs = (d.validityDays * DAY_MS) / 3;
  if (remainingMs >= thresholdMs) return null;
  return `expires ${o.notAfter}, within the last third of its ${d.validityDays}-day validity`;
}

export function diffCertificate(input: DiffInput<DesiredCertificate, ObservedCertificate>): DiffResult | null {
  const { desired, observed, managedHash, now } = input;
  if (desired === null) return pruneResult(observed, managedHash, observed?.exists ? certificateBefore(observed) : null);
  const after = certificateAfter(desired);
  if (!observed || !observed.exists) return { action: 'create', reason: missingReason(observed), before: null, after };
  const before = certificateBefore(observed);
  if (managedHash === undefined) return { action: 'update', reason: UNMANAGED_TAKEOVER, before, after };
  const reasons: string[] = [];
  if (observed.requestHash !== after.requestHash) {
    reasons.push(`request changed (subject/SANs/usages, sha256 ${shortHash(observed.requestHash)} -> ${shortHash(after.requestHash as string)})`);
  }
  const renewal = renewalReason(desired, observed, now);
  if (renewal !== null) reasons.push(renewal);
  return reasons.length === 0 ? null : { action: 'update', reason: reasons.join(', '), before, after };
}
