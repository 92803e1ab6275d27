/**
 * What a certificate says, read from its PEM at the ASN.1 level: what the probe reports of a node's
 * certificate (serial, validity, subject, SANs, issuer, key) so a plan can say why it renews or reissues.
 * Pure: no clock, no randomness, no I/O.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, ExtendedKeyUsage, id_ce_authorityKeyIdentifier, id_ce_extKeyUsage, id_ce_subjectAltName, type Name, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { createHash } from 'node:crypto';
import { canonicalAddress } from '../model/ip.js';
import { derChildren, fromPem } from './der.js';
import { readPublicKey } from './public-key.js';
import { keyIdentifierOf } from './tbs-certificate.js';

export interface CertificateFacts {
  /** Hex, lowercase, without leading zero bytes' sign padding, as IssuedCertificate.serial. */
  serial: string;
  notBefore: string;
  notAfter: string;
  commonName?: string;
  dnsNames: string[];
  ipAddresses: string[];
  /** The issuer's subject, `CN=... ` joined by commas. */
  issuer: string;
  /** The authority key identifier it carries, hex; absent when it carries none. */
  issuerKeyId?: string;
  /** `ecdsa-p256`, `rsa-2048`, ...; the curve or size otherwise (`ec-P-384`). */
  keyType: string;
  /** serverAuth and clientAuth, as `server` and `client`, sorted. */
  usages: ('server' | 'client')[];
  /** sha256 of the SubjectPublicKeyInfo DER: the same as the node's key's public half, when they belong together. */
  keyFingerprint: string;
  /** sha256 of the whole certificate, DER. */
  fingerprint: string;
}

const EKU = { server: '1.3.6.1.5.5.7.3.1', client: '1.3.6.1.5.5.7.3.2' } as const;

const ATTRIBUTE_NAMES: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C' };

function nameText(name: Name): string {
  return [...name].flatMap((rdn) => [...rdn].map((atv) => `${ATTRIBUTE_NAMES[atv.type] ?? atv.type}=${atv.value.toString()}`)).join(', ');
}

function commonNameOf(name: Name): string | undefined {
  for (const rdn of name) for (const atv of rdn) if (atv.type === '2.5.4.3') return atv.value.toString();
  return undefined;
}

function keyTypeOf(spki: Buffer): string {
  const { algorithm } = readPublicKey(spki);
  if (algorithm.type === 'ec') return algorithm.curve === 'P-256' ? 'ecdsa-p256' : `ec-${algorithm.curve}`;
  if (algorithm.type === 'rsa') return `rsa-${algorithm.bits}`;
  return algorithm.name;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The facts of a PEM (or DER) certificate; null when it is not one. */
export function certificateFacts(input: string | Uint8Array): CertificateFacts | null {
  const der = fromPem('CERTIFICATE', input);
  if (der === null) return null;
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(der, Certificate);
  } catch {
    return null;
  }
  const tbs = certificate.tbsCertificate;
  // The key's bytes exactly as the certificate carries them (tbsCertificate's seventh element).
  const spki = Buffer.from(derChildren(derChildren(der)[0]!)[6]!);
  const facts: CertificateFacts = {
    serial: Buffer.from(tbs.serialNumber).toString('hex'),
    notBefore: tbs.validity.notBefore.getTime().toISOString(),
    notAfter: tbs.validity.notAfter.getTime().toISOString(),
    dnsNames: [],
    ipAddresses: [],
    issuer: nameText(tbs.issuer),
    keyType: keyTypeOf(spki),
    usages: [],
    keyFingerprint: sha256Hex(spki),
    fingerprint: sha256Hex(der),
  };
  const commonName = commonNameOf(tbs.subject);
  if (commonName !== undefined) facts.commonName = commonName;
  for (const extension of tbs.extensions ?? []) {
    if (extension.extnID === id_ce_subjectAltName) {
      for (const name of AsnConvert.parse(extension.extnValue.buffer, SubjectAlternativeName)) {
        if (name.dNSName !== undefined) facts.dnsNames.push(name.dNSName);
        else if (name.iPAddress !== undefined) facts.ipAddresses.push(canonicalAddress(name.iPAddress));
      }
    } else if (extension.extnID === id_ce_extKeyUsage) {
      const oids = new Set(AsnConvert.parse(extension.extnValue.buffer, ExtendedKeyUsage));
      facts.usages = (['client', 'server'] as const).filter((u) => oids.has(EKU[u]));
    } else if (extension.extnID === id_ce_authorityKeyIdentifier) {
      const keyId = AsnConvert.parse(extension.extnValue.buffer, AuthorityKeyIdentifier).keyIdentifier;
      if (keyId !== undefined) facts.issuerKeyId = Buffer.from(keyId.buffer).toString('hex');
    }
  }
  return facts;
}

/** A CA certificate's subject and the key id its certificates name as their authority key id; null when it is not a certificate. */
export function authorityOf(input: string | Uint8Array): { subject: string; keyId: string } | null {
  const der = fromPem('CERTIFICATE', input);
  if (der === null) return null;
  try {
    const certificate = AsnConvert.parse(der, Certificate);
    const spki = Buffer.from(derChildren(derChildren(der)[0]!)[6]!);
    return { subject: nameText(certificate.tbsCertificate.subject), keyId: keyIdentifierOf(spki).toString('hex') };
  } catch {
    return null;
  }
}
