/**
 * What a node may be given a certificate for, decided from the request and the site alone (pure). A node
 * generates its own key and asks; it gets exactly what the certificate resource declares for it, and only
 * if every name and address in it is the node's own in the site. Anything else is refused, with every
 * reason at once, each naming the field and the value, and nothing is signed.
 */
import type { KeyUsageType } from '@peculiar/asn1-x509';
import { canonicalAddress } from '../model/ip.js';
import { byCodeUnit } from '../model/order.js';
import type { CertificateRequest, SubjectAttribute } from './csr.js';

export type CertificateUsage = 'server' | 'client' | 'peer';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EXTENDED_USAGES: Record<CertificateUsage, readonly string[]> = { server: [SERVER_AUTH], client: [CLIENT_AUTH], peer: [SERVER_AUTH, CLIENT_AUTH] };
const USAGE_NAMES: Record<string, string> = { [SERVER_AUTH]: 'serverAuth', [CLIENT_AUTH]: 'clientAuth' };

/** Key usages granted to a TLS leaf: an RSA key may also encipher (RSA key exchange); an EC key may agree. */
const KEY_USAGES: Record<'ec' | 'rsa', readonly KeyUsageType[]> = { ec: ['digitalSignature'], rsa: ['digitalSignature', 'keyEncipherment'] };
const REQUESTABLE_KEY_USAGES: Record<'ec' | 'rsa', ReadonlySet<KeyUsageType>> = {
  ec: new Set(['digitalSignature', 'keyAgreement']),
  rsa: new Set(['digitalSignature', 'keyEncipherment']),
};

/** Larger RSA keys than this are refused too: they add nothing but cost every handshake (and the CA's check). */
const RSA_MAX_BITS = 8192;

/** What the CA signs at all. */
export interface IssuancePolicy {
  ecCurves: readonly string[];
  rsaMinBits: number;
  /** Usages the CA grants; `peer` needs both server and client. */
  usages: readonly ('server' | 'client')[];
  maxValidityDays: number;
  /** Organisation (O) values a subject may carry, e.g. a group a service maps certificates to; none by default. */
  organizations: readonly string[];
}

export const DEFAULT_ISSUANCE_POLICY: IssuancePolicy = { ecCurves: ['P-256'], rsaMinBits: 2048, usages: ['server', 'client'], maxValidityDays: 90, organizations: [] };

/** What the site gives one node: the names and addresses that are its own. */
export interface NodeEntitlement {
  node: string;
  /** Its SSH address, the IPAM allocations it holds and the VIPs it holds. */
  addresses: readonly string[];
  /** Its names in the site's DNS zones. */
  zoneNames: readonly string[];
  /** Names its clusters declare for their members (`etcd.<zone>` for every etcd member). */
  clusterNames: readonly string[];
}

/** What the certificate resource declares for the node (templated from its inputs), which the CSR must ask for exactly. */
export interface DeclaredCertificate {
  commonName: string;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  usages: readonly CertificateUsage[];
  validityDays: number;
}

export type RefusalCode =
  | 'CsrKeyNotAllowed'
  | 'CsrCaRequested'
  | 'CsrSubjectNotAllowed'
  | 'CsrNameNotAllowed'
  | 'CsrAddressNotAllowed'
  | 'CsrNameNotDeclared'
  | 'CsrNameNotRequested'
  | 'CsrSanTypeNotAllowed'
  | 'CsrUsageNotAllowed'
  | 'CsrExtensionNotAllowed'
  | 'CsrValidityTooLong';

export interface Refusal {
  code: RefusalCode;
  /** The request's field, e.g. `subjectAltName.iPAddress`. */
  field: string;
  value: string;
  message: string;
}

/** What goes into the certificate, when everything asked for is allowed. */
export interface CertificateGrant {
  subject: SubjectAttribute[];
  dnsNames: string[];
  ipAddresses: string[];
  keyUsage: KeyUsageType[];
  extendedKeyUsage: string[];
  validityDays: number;
  /** The requester's SubjectPublicKeyInfo, DER, and its sha256. */
  publicKey: Buffer;
  keyFingerprint: string;
}

export type PolicyDecision = { allowed: true; grant: CertificateGrant } | { allowed: false; reasons: Refusal[] };

const dnsName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function keyReasons(csr: CertificateRequest, policy: IssuancePolicy): Refusal[] {
  const key = csr.publicKey.algorithm;
  const refuse = (value: string, why: string): Refusal[] => [{ code: 'CsrKeyNotAllowed', field: 'subjectPublicKeyInfo', value, message: `key ${value}: ${why}` }];
  if (key.type === 'ec') return policy.ecCurves.includes(key.curve) ? [] : refuse(`EC ${key.curve}`, `curve not allowed (allowed: ${policy.ecCurves.join(', ')})`);
  if (key.type === 'rsa') {
    if (key.bits < policy.rsaMinBits) return refuse(`RSA-${key.bits}`, `too weak, at least ${policy.rsaMinBits} bits`);
    return key.bits > RSA_MAX_BITS ? refuse(`RSA-${key.bits}`, `larger than ${RSA_MAX_BITS} bits`) : [];
  }
  return refuse(key.name, 'only ECDSA and RSA keys are signed');
}

function subjectReasons(csr: CertificateRequest, declared: DeclaredCertificate, policy: IssuancePolicy, allowedNames: ReadonlySet<string>): Refusal[] {
  const reasons: Refusal[] = [];
  const names = csr.subject.filter((a) => a.type === 'CN');
  if (names.length !== 1 || names[0]!.value !== declared.commonName) {
    const value = names.map((a) => a.value).join(', ');
    reasons.push({ code: 'CsrNameNotDeclared', field: 'subject.CN', value, message: `subject CN ${JSON.stringify(value)} is not the declared common name ${JSON.stringify(declared.commonName)}` });
  }
  if (!allowedNames.has(dnsName(declared.commonName))) {
    reasons.push({ code: 'CsrNameNotAllowed', field: 'subject.CN', value: declared.commonName, message: `common name ${declared.commonName} is not one of the node's names` });
  }
  for (const attribute of csr.subject) {
    if (attribute.type === 'CN' || (attribute.type === 'O' && policy.organizations.includes(attribute.value))) continue;
    reasons.push({ code: 'CsrSubjectNotAllowed', field: `subject.${attribute.type}`, value: attribute.value, message: `subject ${attribute.type}=${attribute.value} is not allowed (a subject carries CN${policy.organizations.length > 0 ? ` and O in ${policy.organizations.join(', ')}` : ' only'})` });
  }
  return reasons;
}

interface SanCheck {
  kind: 'dNSName' | 'iPAddress';
  requested: readonly string[];
  declared: readonly string[];
  owned: ReadonlySet<string>;
  node: string;
}

/** The request's SANs of one type against the declaration and against what the node owns. */
function sanReasons({ kind, requested, declared, owned, node }: SanCheck): Refusal[] {
  const field = `subjectAltName.${kind}`;
  const what = kind === 'dNSName' ? 'DNS name' : 'IP address';
  const requestedSet = new Set(requested);
  const declaredSet = new Set(declared);
  const reasons: Refusal[] = [];
  for (const value of [...requestedSet].sort(byCodeUnit)) {
    if (!declaredSet.has(value)) reasons.push({ code: 'CsrNameNotDeclared', field, value, message: `${what} ${value} is requested but the certificate does not declare it` });
    else if (!owned.has(value)) {
      const code = kind === 'dNSName' ? 'CsrNameNotAllowed' : 'CsrAddressNotAllowed';
      const whose = kind === 'dNSName' ? `${node}'s names (its name, its names in the site's zones, names its clusters declare for members)` : `${node}'s addresses (${[...owned].sort(byCodeUnit).join(', ') || 'none'})`;
      reasons.push({ code, field, value, message: `${what} ${value} is not one of ${whose}` });
    }
  }
  for (const value of [...declaredSet].sort(byCodeUnit)) {
    if (!requestedSet.has(value)) reasons.push({ code: 'CsrNameNotRequested', field, value, message: `${what} ${value} is declared but the request does not ask for it` });
  }
  return reasons;
}

function usageReasons(csr: CertificateRequest, declared: DeclaredCertificate, policy: IssuancePolicy, keyType: 'ec' | 'rsa'): Refusal[] {
  const reasons: Refusal[] = [];
  const granted = new Set(declared.usages.flatMap((u) => EXTENDED_USAGES[u]));
  const allowed = new Set(policy.usages.flatMap((u) => EXTENDED_USAGES[u]));
  for (const usage of declared.usages) {
    if (EXTENDED_USAGES[usage].some((oid) => !allowed.has(oid))) reasons.push({ code: 'CsrUsageNotAllowed', field: 'usages', value: usage, message: `usage ${usage} is not granted by this CA (grants: ${policy.usages.join(', ')})` });
  }
  for (const oid of csr.extendedKeyUsage ?? []) {
    if (!granted.has(oid)) reasons.push({ code: 'CsrUsageNotAllowed', field: 'extendedKeyUsage', value: USAGE_NAMES[oid] ?? oid, message: `extended key usage ${USAGE_NAMES[oid] ?? oid} is not among the declared usages (${declared.usages.join(', ')})` });
  }
  for (const usage of csr.keyUsage ?? []) {
    if (!REQUESTABLE_KEY_USAGES[keyType].has(usage)) reasons.push({ code: 'CsrUsageNotAllowed', field: 'keyUsage', value: usage, message: `key usage ${usage} is not granted to a ${keyType.toUpperCase()} TLS key` });
  }
  return reasons;
}

function extensionReasons(csr: CertificateRequest): Refusal[] {
  const reasons: Refusal[] = [];
  if (csr.basicConstraints?.ca) reasons.push({ code: 'CsrCaRequested', field: 'basicConstraints.cA', value: 'TRUE', message: 'the request asks to be a CA (basicConstraints CA:TRUE); node certificates are never CAs' });
  for (const name of csr.otherNames) reasons.push({ code: 'CsrSanTypeNotAllowed', field: 'subjectAltName', value: name, message: `SAN ${name}: only DNS names and IP addresses are granted` });
  for (const oid of csr.unknownExtensions) reasons.push({ code: 'CsrExtensionNotAllowed', field: 'extensionRequest', value: oid, message: `extension ${oid} is requested; the CA grants subjectAltName, keyUsage, extendedKeyUsage and basicConstraints CA:FALSE only` });
  return reasons;
}

/** The decision for one node's request: the grant, or every reason it is refused. */
export function evaluateRequest(csr: CertificateRequest, declared: DeclaredCertificate, entitlement: NodeEntitlement, policy: IssuancePolicy): PolicyDecision {
  const ownedNames = new Set([entitlement.node, ...entitlement.zoneNames, ...entitlement.clusterNames].map(dnsName));
  const ownedAddresses = new Set(entitlement.addresses.map(canonicalAddress));
  const requestedNames = csr.dnsNames.map(dnsName);
  const requestedAddresses = csr.ipAddresses.map(canonicalAddress);
  const keyType = csr.publicKey.algorithm.type;
  const reasons = [
    ...keyReasons(csr, policy),
    ...extensionReasons(csr),
    ...subjectReasons(csr, declared, policy, ownedNames),
    ...sanReasons({ kind: 'dNSName', requested: requestedNames, declared: declared.dnsNames.map(dnsName), owned: ownedNames, node: entitlement.node }),
    ...sanReasons({ kind: 'iPAddress', requested: requestedAddresses, declared: declared.ipAddresses.map(canonicalAddress), owned: ownedAddresses, node: entitlement.node }),
    ...(keyType === 'other' ? [] : usageReasons(csr, declared, policy, keyType)),
  ];
  if (declared.validityDays > policy.maxValidityDays) {
    reasons.push({ code: 'CsrValidityTooLong', field: 'validityDays', value: String(declared.validityDays), message: `validity ${declared.validityDays} days is longer than the CA allows (${policy.maxValidityDays} days)` });
  }
  if (reasons.length > 0 || keyType === 'other') return { allowed: false, reasons };
  return {
    allowed: true,
    grant: {
      subject: csr.subject,
      dnsNames: [...new Set(requestedNames)],
      ipAddresses: [...new Set(requestedAddresses)],
      keyUsage: [...KEY_USAGES[keyType]],
      extendedKeyUsage: [...new Set(declared.usages.flatMap((u) => EXTENDED_USAGES[u]))],
      validityDays: declared.validityDays,
      publicKey: csr.publicKey.spki,
      keyFingerprint: csr.publicKey.fingerprint,
    },
  };
}
