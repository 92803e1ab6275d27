/**
 * Pure diff of a node certificate, from what the certificate on the node says (the probe reads it): issue
 * when missing; reissue when what it must say changed (its names, addresses, usages, key type, issuer) or
 * its key is not the node's; renew once two thirds of its lifetime have passed (renewal.ts: jitter from a
 * hash, `now` from the plan); reinstall the bundle or the files' attributes when only they differ.
 */
import { authorityOf } from '../../controller/pki/certificate-facts.js';
import { renewalDecision } from '../../controller/pki/renewal.js';
import { canonicalAddress } from '../../controller/model/ip.js';
import { sha256 } from '../../controller/model/sha256.js';
import { byCodeUnit } from '../../controller/model/order.js';
import type { DiffInput, DiffResult } from '../kind.js';
import type { DesiredCertificate, ObservedCertificate } from './schema.js';
import { attributeChanges, missingReason, pruneResult, UNMANAGED_TAKEOVER } from '../diff-support.js';

/** What apply does: sign a new certificate for a new key, for the key on the node, or only install (bundle, attributes). */
export type IssueMode = 'new-key' | 'same-key' | 'none';

const USAGE_SETS = { server: ['server'], client: ['client'], peer: ['server', 'client'] } as const;

/** The extended key usages the certificate must carry, sorted. */
export const usagesOf = (d: DesiredCertificate): ('server' | 'client')[] => [...new Set(d.usages.flatMap((u) => USAGE_SETS[u]))].sort(byCodeUnit);

const dnsName = (n: string): string => n.toLowerCase().replace(/\.$/, '');

// Members in key order: the plan hash then serialises them natively.
function certificateAfter(d: DesiredCertificate, issue: IssueMode): Record<string, unknown> {
  return {
    ca: d.ca,
    ...(d.caBundlePath !== undefined ? { caBundlePath: d.caBundlePath } : {}),
    certPath: d.certPath,
    commonName: d.commonName,
    dnsNames: d.dnsNames,
    group: d.group,
    ipAddresses: d.ipAddresses,
    issuance: d.issuance ?? null,
    issue,
    keyPath: d.keyPath,
    keyType: d.keyType,
    mode: d.mode,
    name: d.name,
    owner: d.owner,
    rotationPolicy: d.rotationPolicy,
    usages: d.usages,
    validityDays: d.validityDays,
  };
}

function certificateBefore(o: ObservedCertificate): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  for (const key of ['commonName', 'dnsNames', 'fingerprint', 'ipAddresses', 'issuer', 'keyFingerprint', 'keyType', 'name', 'notAfter', 'serial'] as const) {
    if (o[key] !== undefined) before[key] = o[key];
  }
  return before;
}

function setChanges(what: string, observed: readonly string[], desired: readonly string[]): string[] {
  const have = new Set(observed);
  const want = new Set(desired);
  return [
    ...[...want].filter((v) => !have.has(v)).sort(byCodeUnit).map((v) => `${what} ${v} added`),
    ...[...have].filter((v) => !want.has(v)).sort(byCodeUnit).map((v) => `${what} ${v} removed`),
  ];
}

/** What the certificate on the node says differently from what it must say, or why its key will not do. */
function reissueReasons(d: DesiredCertificate, o: ObservedCertificate): string[] {
  const reasons: string[] = [];
  if (o.serial === undefined) return ['the file at certPath is not a readable certificate'];
  const authority = d.issuance ? authorityOf(d.issuance.authority.certificate) : null;
  if (authority && o.issuerKeyId !== authority.keyId) reasons.push(`issued by ${o.issuer ?? 'an unknown issuer'}, not by CA ${d.ca}`);
  if (o.commonName !== d.commonName) reasons.push(`CN ${o.commonName ?? '(none)'} -> ${d.commonName}`);
  reasons.push(...setChanges('SAN', (o.dnsNames ?? []).map(dnsName), d.dnsNames.map(dnsName)));
  reasons.push(...setChanges('SAN', (o.ipAddresses ?? []).map(canonicalAddress), d.ipAddresses.map(canonicalAddress)));
  reasons.push(...setChanges('usage', o.usages ?? [], usagesOf(d)));
  if (o.keyType !== d.keyType) reasons.push(`key type ${o.keyType ?? '(unknown)'} -> ${d.keyType}`);
  if (o.nodeKeyFingerprint === undefined) reasons.push(`no key at ${d.keyPath}`);
  else if (o.nodeKeyFingerprint !== o.keyFingerprint) reasons.push(`the key at ${d.keyPath} is not the certificate's key`);
  return reasons;
}

/** A new key unless the policy keeps keys and the node's key is the certificate's, of the right type. */
function issueModeFor(d: DesiredCertificate, o: ObservedCertificate | undefined): IssueMode {
  const keyFits = o?.nodeKeyFingerprint !== undefined && o.nodeKeyFingerprint === o.keyFingerprint && o.keyType === d.keyType;
  return d.rotationPolicy === 'Never' && keyFits ? 'same-key' : 'new-key';
}

/** Only the bundle or the files' attributes differ: installed without signing anything. */
function installReasons(d: DesiredCertificate, o: ObservedCertificate): string[] {
  const reasons = attributeChanges(o, { mode: d.mode, owner: d.owner, group: d.group });
  if (d.caBundlePath !== undefined && d.issuance && o.caBundleSha256 !== sha256(d.issuance.authority.certificate)) {
    reasons.push(o.caBundleSha256 === undefined ? `CA bundle ${d.caBundlePath} missing` : `CA bundle ${d.caBundlePath} differs`);
  }
  return reasons;
}

function renewal(d: DesiredCertificate, o: ObservedCertificate, now: string | undefined): string | null {
  if (now === undefined || o.notBefore === undefined || o.notAfter === undefined || o.serial === undefined) return null;
  const node = d.issuance?.entitlement.node ?? '';
  const decision = renewalDecision({ node, certificate: d.name, serial: o.serial, notBefore: new Date(o.notBefore), notAfter: new Date(o.notAfter) }, new Date(now));
  return decision.renew ? decision.reason : null;
}

export function diffCertificate(input: DiffInput<DesiredCertificate, ObservedCertificate>): DiffResult | null {
  const { desired, observed, managedHash, now } = input;
  if (desired === null) return pruneResult(observed, managedHash, observed?.exists ? certificateBefore(observed) : null);
  if (!observed || !observed.exists) return { action: 'create', reason: `issue: ${missingReason(observed)}`, before: null, after: certificateAfter(desired, 'new-key') };
  const before = certificateBefore(observed);
  if (managedHash === undefined) return { action: 'update', reason: `issue: ${UNMANAGED_TAKEOVER}`, before, after: certificateAfter(desired, 'new-key') };
  const reissue = reissueReasons(desired, observed);
  // A rotation (reissue, renewal) replaces what running services present: it goes batch by batch (issue 11).
  if (reissue.length > 0) return { action: 'update', reason: `reissue: ${reissue.join(', ')}`, before, after: certificateAfter(desired, issueModeFor(desired, observed)), disruptive: true };
  const renew = renewal(desired, observed, now);
  // Due because time passed, at the same desired state: a renewal is never drift (ADR 0028).
  if (renew !== null) return { action: 'update', reason: renew, before, after: certificateAfter(desired, issueModeFor(desired, observed)), disruptive: true, drift: false };
  const install = installReasons(desired, observed);
  return install.length === 0 ? null : { action: 'update', reason: `install: ${install.join(', ')}`, before, after: certificateAfter(desired, 'none') };
}
