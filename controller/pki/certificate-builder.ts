/**
 * A granted certificate, built and signed: the serial from the injected random source, the validity from the
 * injected clock, the signature by node:crypto, synchronously (an async sign per certificate costs more in
 * scheduling than ECDSA costs in arithmetic).
 */
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import type { Clock } from '../clock.js';
import { toPem } from './der.js';
import type { CertificateGrant } from './policy.js';
import { buildTbsCertificate, nameOf, serialFrom, type SignatureAlgorithm, signedDer } from './tbs-certificate.js';

export interface RandomSource {
  bytes(size: number): Buffer;
}

export const systemRandom: RandomSource = { bytes: (size) => randomBytes(size) };

/** 16 random bytes, 126 of them random after serialFrom: far above RFC 5280's and the CA/B Forum's 64. */
export const SERIAL_BYTES = 16;

/** notBefore is set this far back, so a node whose clock lags the controller's a little can use it at once. */
export const BACKDATE_MS = 5 * 60_000;

const DAY_MS = 86_400_000;

/** What signs: the CA's name and key identifier as its certificate says them, and its private key. */
export interface Issuer {
  /** Its subject Name, DER, as its certificate carries it. */
  name: Buffer;
  keyId: Buffer;
  key: KeyObject;
  signature: SignatureAlgorithm;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  /** Hex, lowercase, as `openssl x509 -serial` prints it (there uppercase). */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  keyFingerprint: string;
  /** sha256 of the DER certificate, hex: what the store journals and the probe reports. */
  fingerprint: string;
}

/** Whole seconds: X.509 times have no fractions, and the value returned must be the one written. */
const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

/** The validity a certificate issued now for `days` gets. */
export function validityFrom(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: wholeSeconds(now.getTime() - BACKDATE_MS), notAfter: wholeSeconds(now.getTime() + days * DAY_MS) };
}

export function issueCertificate(grant: CertificateGrant, issuer: Issuer, clock: Clock, random: RandomSource): IssuedCertificate {
  const serial = serialFrom(random.bytes(SERIAL_BYTES));
  const { notBefore, notAfter } = validityFrom(clock.now(), grant.validityDays);
  const tbs = buildTbsCertificate({
    serial,
    signature: issuer.signature,
    issuer: issuer.name,
    authorityKeyId: issuer.keyId,
    notBefore,
    notAfter,
    subject: nameOf(grant.subject),
    publicKey: grant.publicKey,
    dnsNames: grant.dnsNames,
    ipAddresses: grant.ipAddresses,
    keyUsage: grant.keyUsage,
    extendedKeyUsage: grant.extendedKeyUsage,
  });
  const der = signedDer(tbs, issuer.signature, sign(issuer.signature.digest, tbs, issuer.key));
  return { der, pem: toPem('CERTIFICATE', der), serial: serial.toString('hex'), notBefore, notAfter, keyFingerprint: grant.keyFingerprint, fingerprint: createHash('sha256').update(der).digest('hex') };
}
