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
  Validity,
} from '@peculiar/asn1-x509';
import { createHash } from 'node:crypto';
import type { SubjectAttribute } from './csr.js';
import { derBitString, derChildren, derContent, derElement, derSequence } from './der.js';

/** How the CA signs: the digest for node:crypto and the AlgorithmIdentifier written into the certificate (and its DER). */
export interface SignatureAlgorithm {
  digest: 'sha256';
  identifier: AlgorithmIdentifier;
  der: Buffer;
}

const DER_NULL = Uint8Array.of(0x05, 0x00).buffer;

function signatureAlgorithm(identifier: AlgorithmIdentifier): SignatureAlgorithm {
  return { digest: 'sha256', identifier, der: Buffer.from(AsnConvert.serialize(identifier)) };
}

/** ECDSA with SHA-256 (no parameters, RFC 5758) or RSA PKCS#1 v1.5 with SHA-256 (NULL parameters, RFC 4055). */
export function signatureAlgorithmFor(keyType: 'ec' | 'rsa'): SignatureAlgorithm {
  return keyType === 'ec'
    ? signatureAlgorithm(new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }))
    : signatureAlgorithm(new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: DER_NULL }));
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

/** RFC 5280 §4.2.1.2 method 1: sha1 of the subjectPublicKey BIT STRING's bytes (after its unused-bits byte). */
export function keyIdentifierOf(spki: Buffer): Buffer {
  const subjectPublicKey = derContent(derChildren(spki)[1]!).subarray(1);
  return createHash('sha1').update(subjectPublicKey).digest();
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
  /** The issuer's Name, DER, as its own certificate carries it (a verifier compares them). */
  issuer: Buffer;
  /** The issuer's key identifier; for a self-signed certificate, its own. */
  authorityKeyId: Buffer;
  notBefore: Date;
  notAfter: Date;
  subject: Name;
  /** SubjectPublicKeyInfo, DER, as received. */
  publicKey: Buffer;
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

const extensionDer = (id: string, value: unknown, critical = false): Buffer => Buffer.from(AsnConvert.serialize(extension(id, value, critical)));

/**
 * The extensions every leaf of a kind shares (CA:FALSE, a set of usages, an issuer's key id) encoded once:
 * each is a pure function of its key, and encoding them costs more than the signature.
 */
const shared = new Map<string, Buffer>();
function sharedExtension(key: string, encode: () => Buffer): Buffer {
  let der = shared.get(key);
  if (der === undefined) {
    der = encode();
    // Bounded: the keys are usage sets and issuers, a handful per site; a process signing for many CAs starts over.
    if (shared.size >= 256) shared.clear();
    shared.set(key, der);
  }
  return der;
}

function extensionsOf(input: TbsCertificateInput): Buffer[] {
  const keyUsage = input.keyUsage.reduce((flags, u) => flags | KEY_USAGE_FLAGS[u], 0);
  const extensions = [
    // Critical, as RFC 5280 asks of a CA's and lets a leaf's be: a verifier that cannot read it must refuse.
    sharedExtension(`bc ${input.ca?.pathLength ?? 'leaf'}`, () =>
      extensionDer(id_ce_basicConstraints, new BasicConstraints(input.ca ? { cA: true, pathLenConstraint: input.ca.pathLength } : { cA: false }), true),
    ),
    sharedExtension(`ku ${keyUsage}`, () => extensionDer(id_ce_keyUsage, new KeyUsage(keyUsage), true)),
  ];
  if (input.extendedKeyUsage.length > 0) {
    extensions.push(sharedExtension(`eku ${input.extendedKeyUsage.join(' ')}`, () => extensionDer(id_ce_extKeyUsage, new ExtendedKeyUsage([...input.extendedKeyUsage]))));
  }
  const names = [...input.dnsNames.map((dNSName) => new GeneralName({ dNSName })), ...input.ipAddresses.map((iPAddress) => new GeneralName({ iPAddress }))];
  if (names.length > 0) extensions.push(extensionDer(id_ce_subjectAltName, new SubjectAlternativeName(names)));
  extensions.push(extensionDer(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifierOf(input.publicKey))));
  const aki = input.authorityKeyId;
  extensions.push(sharedExtension(`aki ${aki.toString('hex')}`, () => extensionDer(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(aki) }))));
  return extensions;
}

/** version [0] EXPLICIT INTEGER 2 (v3). */
const VERSION_3 = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);

/**
 * TBSCertificate (RFC 5280 §4.1), each field encoded by the @peculiar/asn1-x509 classes, joined in order. The
 * issuer and the subject's key go in as the bytes they were received as.
 */
export function buildTbsCertificate(input: TbsCertificateInput): Buffer {
  return derSequence(
    VERSION_3,
    derElement(0x02, input.serial),
    input.signature.der,
    input.issuer,
    Buffer.from(AsnConvert.serialize(new Validity({ notBefore: input.notBefore, notAfter: input.notAfter }))),
    Buffer.from(AsnConvert.serialize(input.subject)),
    input.publicKey,
    derElement(0xa3, derSequence(...extensionsOf(input))),
  );
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (also a CRL's shape). */
export function signedDer(body: Buffer, signature: SignatureAlgorithm, value: Buffer): Buffer {
  return derSequence(body, signature.der, derBitString(value));
}
