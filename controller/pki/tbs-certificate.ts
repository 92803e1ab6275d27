/**
 * The body of a certificate (TBSCertificate), built at the ASN.1 level from plain values, and the outer
 * certificate around a signature. Pure: the serial, the times and the signature are given, so a body is
 * reproducible byte for byte.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  type KeyUsageType,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { createHash } from 'node:crypto';
import type { SubjectAttribute } from './csr.js';
import { arrayBufferOf, derBitString, derSequence } from './der.js';

/** How the CA signs: the digest for node:crypto and the AlgorithmIdentifier written into the certificate. */
export interface SignatureAlgorithm {
  digest: 'sha256';
  identifier: AlgorithmIdentifier;
}

const DER_NULL = Uint8Array.of(0x05, 0x00).buffer;

/** ECDSA with SHA-256 (no parameters, RFC 5758) or RSA PKCS#1 v1.5 with SHA-256 (NULL parameters, RFC 4055). */
export function signatureAlgorithmFor(keyType: 'ec' | 'rsa'): SignatureAlgorithm {
  return keyType === 'ec'
    ? { digest: 'sha256', identifier: new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }) }
    : { digest: 'sha256', identifier: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: DER_NULL }) };
}

const ATTRIBUTE_OIDS: Record<string, string> = { CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11' };

/** A distinguished name, one attribute per RDN, UTF8String values (PrintableString for C, as X.520 requires). */
export function nameOf(attributes: readonly SubjectAttribute[]): Name {
  return new Name(
    attributes.map(({ type, value }) => {
      const oid = ATTRIBUTE_OIDS[type] ?? type;
      const text = type === 'C' ? new AttributeValue({ printableString: value }) : new AttributeValue({ utf8String: value });
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: text })]);
    }),
  );
}

/** RFC 5280 §4.2.1.2 method 1: sha1 of the subjectPublicKey BIT STRING's bytes. */
export function keyIdentifierOf(spki: SubjectPublicKeyInfo): Buffer {
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
}

/** The serial's INTEGER content: the top bit cleared (positive) and the next one set (minimal, never zero-padded). */
export function serialFrom(random: Buffer): Buffer {
  const serial = Buffer.from(random);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

export interface TbsCertificateInput {
  serial: Buffer;
  signature: SignatureAlgorithm;
  issuer: Name;
  /** The issuer's key identifier; for a self-signed certificate, its own. */
  authorityKeyId: Buffer;
  notBefore: Date;
  notAfter: Date;
  subject: Name;
  publicKey: SubjectPublicKeyInfo;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  keyUsage: readonly KeyUsageType[];
  extendedKeyUsage: readonly string[];
  /** Present only for a CA certificate. */
  ca?: { pathLength: number };
}

const KEY_USAGE_FLAGS: Record<KeyUsageType, number> = {
  digitalSignature: KeyUsageFlags.digitalSignature,
  nonRepudiation: KeyUsageFlags.nonRepudiation,
  keyEncipherment: KeyUsageFlags.keyEncipherment,
  dataEncipherment: KeyUsageFlags.dataEncipherment,
  keyAgreement: KeyUsageFlags.keyAgreement,
  keyCertSign: KeyUsageFlags.keyCertSign,
  crlSign: KeyUsageFlags.cRLSign,
  encipherOnly: KeyUsageFlags.encipherOnly,
  decipherOnly: KeyUsageFlags.decipherOnly,
};

export const extension = (id: string, value: unknown, critical = false): Extension =>
  new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

function extensionsOf(input: TbsCertificateInput): Extensions {
  const extensions = [
    // Critical, as RFC 5280 asks of a CA's and lets a leaf's be: a verifier that cannot read it must refuse.
    extension(id_ce_basicConstraints, new BasicConstraints(input.ca ? { cA: true, pathLenConstraint: input.ca.pathLength } : { cA: false }), true),
    extension(id_ce_keyUsage, new KeyUsage(input.keyUsage.reduce((flags, u) => flags | KEY_USAGE_FLAGS[u], 0)), true),
  ];
  if (input.extendedKeyUsage.length > 0) extensions.push(extension(id_ce_extKeyUsage, new ExtendedKeyUsage([...input.extendedKeyUsage])));
  const names = [...input.dnsNames.map((dNSName) => new GeneralName({ dNSName })), ...input.ipAddresses.map((iPAddress) => new GeneralName({ iPAddress }))];
  // A subject that is only a CN must not be empty of names for TLS: RFC 6125 verifiers read SANs only.
  if (names.length > 0) extensions.push(extension(id_ce_subjectAltName, new SubjectAlternativeName(names)));
  extensions.push(extension(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifierOf(input.publicKey))));
  extensions.push(extension(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(input.authorityKeyId) })));
  return new Extensions(extensions);
}

export function buildTbsCertificate(input: TbsCertificateInput): Buffer {
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: arrayBufferOf(input.serial),
    signature: input.signature.identifier,
    issuer: input.issuer,
    validity: new Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subject: input.subject,
    subjectPublicKeyInfo: input.publicKey,
    extensions: extensionsOf(input),
  });
  return Buffer.from(AsnConvert.serialize(tbs));
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (also a CRL's shape). */
export function signedDer(body: Buffer, signature: SignatureAlgorithm, value: Buffer): Buffer {
  return derSequence(body, Buffer.from(AsnConvert.serialize(signature.identifier)), derBitString(value));
}
