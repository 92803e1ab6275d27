/**
 * A PKCS#10 certificate signing request, read at the ASN.1 level and checked against its own signature.
 * Nothing here decides what may be signed (policy.ts does); this only says, exactly, what the request asks
 * for, so that a policy can refuse anything it does not recognise. Deterministic: no clock, no randomness.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import {
  BasicConstraints,
  ExtendedKeyUsage,
  Extensions,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  type KeyUsageType,
  type Name,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import { createHash, verify } from 'node:crypto';
import { UnderlayError } from '../model/errors.js';
import { derChildren, fromPem } from './der.js';
import { type PublicKeyAlgorithm, readPublicKey } from './public-key.js';

export type { PublicKeyAlgorithm } from './public-key.js';

/** PKCS#9 extensionRequest: where a CSR carries the extensions it asks for. */
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** The signature algorithms a CSR may be signed with, and the digest each uses. SHA-1 and RSA-PSS are not among them. */
const SIGNATURE_ALGORITHMS: Record<string, { digest: string; keyType: 'ec' | 'rsa' }> = {
  '1.2.840.10045.4.3.2': { digest: 'sha256', keyType: 'ec' },
  '1.2.840.10045.4.3.3': { digest: 'sha384', keyType: 'ec' },
  '1.2.840.113549.1.1.11': { digest: 'sha256', keyType: 'rsa' },
  '1.2.840.113549.1.1.12': { digest: 'sha384', keyType: 'rsa' },
  '1.2.840.113549.1.1.13': { digest: 'sha512', keyType: 'rsa' },
};

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export interface SubjectAttribute {
  /** A short name (CN, O, ...) where one is known, else the OID. */
  type: string;
  value: string;
}

export interface CertificateRequest {
  /** The request as received, DER. */
  der: Buffer;
  subject: SubjectAttribute[];
  dnsNames: string[];
  ipAddresses: string[];
  /** SANs of any other type (email, URI, directory name, ...), as `type:value`: a node has no business asking for them. */
  otherNames: string[];
  /** Absent when the request does not ask for the extension. */
  basicConstraints?: { ca: boolean; pathLength?: number };
  keyUsage?: KeyUsageType[];
  /** Extended key usages, as OIDs. */
  extendedKeyUsage?: string[];
  /** OIDs of requested extensions this reader does not interpret (a policy refuses them). */
  unknownExtensions: string[];
  publicKey: {
    algorithm: PublicKeyAlgorithm;
    /** SubjectPublicKeyInfo, DER: what the certificate will carry. */
    spki: Buffer;
    /** sha256 of the SubjectPublicKeyInfo DER, hex: what `openssl pkey -pubin -outform DER | sha256sum` prints. */
    fingerprint: string;
  };
}

export type CsrErrorCode = 'CsrMalformed' | 'CsrUnsupportedSignatureAlgorithm' | 'CsrBadSignature';

export class CsrError extends UnderlayError<Record<string, never>> {
  declare readonly code: CsrErrorCode;

  constructor(code: CsrErrorCode, message: string) {
    super({ code, message, data: {} });
  }
}

function subjectOf(name: Name): SubjectAttribute[] {
  return [...name].flatMap((rdn) => [...rdn].map((atv) => ({ type: ATTRIBUTE_NAMES[atv.type] ?? atv.type, value: atv.value.toString() })));
}

type Requested = Pick<CertificateRequest, 'dnsNames' | 'ipAddresses' | 'otherNames' | 'basicConstraints' | 'keyUsage' | 'extendedKeyUsage' | 'unknownExtensions'>;

function readExtensions(csr: CertificationRequest): Requested {
  const requested: Requested = { dnsNames: [], ipAddresses: [], otherNames: [], unknownExtensions: [] };
  const attributes = csr.certificationRequestInfo.attributes ?? [];
  for (const attribute of attributes) {
    if (attribute.type !== EXTENSION_REQUEST) continue;
    for (const value of attribute.values) {
      for (const extension of AsnConvert.parse(value, Extensions)) readExtension(extension.extnID, extension.extnValue.buffer, requested);
    }
  }
  return requested;
}

function readExtension(id: string, value: ArrayBuffer, requested: Requested): void {
  switch (id) {
    case id_ce_subjectAltName:
      for (const name of AsnConvert.parse(value, SubjectAlternativeName)) {
        if (name.dNSName !== undefined) requested.dnsNames.push(name.dNSName);
        else if (name.iPAddress !== undefined) requested.ipAddresses.push(name.iPAddress);
        else requested.otherNames.push(otherName(name));
      }
      return;
    case id_ce_basicConstraints: {
      const bc = AsnConvert.parse(value, BasicConstraints);
      requested.basicConstraints = { ca: bc.cA, ...(bc.pathLenConstraint !== undefined ? { pathLength: bc.pathLenConstraint } : {}) };
      return;
    }
    case id_ce_keyUsage:
      requested.keyUsage = AsnConvert.parse(value, KeyUsage).toJSON();
      return;
    case id_ce_extKeyUsage:
      requested.extendedKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
      return;
    case id_ce_subjectKeyIdentifier:
      // The CA computes its own from the key; what the request says is not used.
      return;
    default:
      requested.unknownExtensions.push(id);
  }
}

function otherName(name: SubjectAlternativeName[number]): string {
  if (name.rfc822Name !== undefined) return `email:${name.rfc822Name}`;
  if (name.uniformResourceIdentifier !== undefined) return `URI:${name.uniformResourceIdentifier}`;
  if (name.registeredID !== undefined) return `RID:${name.registeredID}`;
  if (name.directoryName !== undefined) return `dirName:${subjectOf(name.directoryName).map((a) => `${a.type}=${a.value}`).join(',')}`;
  return name.otherName !== undefined ? `otherName:${name.otherName.typeId}` : 'unknown';
}

/** Reads a CSR (PEM or DER) and verifies its self-signature; throws CsrError with a stable code. */
export function parseCsr(input: string | Uint8Array): CertificateRequest {
  const der = fromPem('CERTIFICATE REQUEST', input) ?? fromPem('NEW CERTIFICATE REQUEST', input);
  if (der === null) throw new CsrError('CsrMalformed', 'not a certificate signing request: no PEM block "CERTIFICATE REQUEST" and not DER');
  let csr: CertificationRequest;
  let requested: Requested;
  try {
    csr = AsnConvert.parse(der, CertificationRequest);
    requested = readExtensions(csr);
  } catch (err) {
    throw new CsrError('CsrMalformed', `not a valid PKCS#10 request: ${err instanceof Error ? err.message : String(err)}`);
  }
  const info = csr.certificationRequestInfo;
  if (info.version !== 0) throw new CsrError('CsrMalformed', `PKCS#10 version ${info.version}; only version 1 (0) exists`);
  const body = Buffer.from(csr.certificationRequestInfoRaw!);
  let spki: Buffer;
  let key: ReturnType<typeof readPublicKey>;
  try {
    // The key's bytes as the node signed them (version, subject, then subjectPKInfo), for the certificate too.
    spki = Buffer.from(derChildren(body)[2]!);
    key = readPublicKey(spki);
  } catch (err) {
    throw new CsrError('CsrMalformed', `unreadable public key: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { algorithm } = key;
  const signature = SIGNATURE_ALGORITHMS[csr.signatureAlgorithm.algorithm];
  if (signature === undefined || signature.keyType !== algorithm.type) {
    throw new CsrError('CsrUnsupportedSignatureAlgorithm', `signature algorithm ${csr.signatureAlgorithm.algorithm} with a ${algorithm.type} key is not accepted (ECDSA or RSA PKCS#1 v1.5 with SHA-256, -384 or -512)`);
  }
  // The bytes as received, never a re-encoding: a re-encoded body could verify where the received one does not.
  if (!verify(signature.digest, body, key.key, Buffer.from(csr.signature))) {
    throw new CsrError('CsrBadSignature', 'the request\'s signature does not verify with its own public key: it was changed after it was signed');
  }
  return {
    der,
    subject: subjectOf(info.subject),
    ...requested,
    publicKey: { algorithm, spki, fingerprint: createHash('sha256').update(spki).digest('hex') },
  };
}
