/**
 * A site's certificate authority: created once (`underlay pki init`), its key kept only in the controller's
 * secret store, its certificate committed to Git. It signs a node's CSR only under the policy, and publishes
 * a CRL for the serials it revoked. The clock and the random source are passed in.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name } from '@peculiar/asn1-x509';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import { UnderlayError } from '../model/errors.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { type IssuedCertificate, issueCertificate, type RandomSource, SERIAL_BYTES, validityFrom } from './certificate-builder.js';
import { buildTbsCertList, type Revocation } from './crl.js';
import { CsrError, type CsrErrorCode, parseCsr } from './csr.js';
import { derChildren, fromPem, toPem } from './der.js';
import { type DeclaredCertificate, evaluateRequest, type IssuancePolicy, type NodeEntitlement, type Refusal } from './policy.js';
import { buildTbsCertificate, keyIdentifierOf, nameOf, serialFrom, signatureAlgorithmFor, type SignatureAlgorithm, signedDer } from './tbs-certificate.js';

export type CaKeyType = 'ecdsa-p256' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

export class CertificateAuthorityError extends UnderlayError<Record<string, never>> {
  declare readonly code: 'CaCertificateInvalid' | 'CaKeyMismatch';

  constructor(code: CertificateAuthorityError['code'], message: string) {
    super({ code, message, data: {} });
  }
}

/** A CSR that could not be read or verified is refused like a policy refusal: with its code, nothing signed. */
export interface RequestRefusal {
  code: CsrErrorCode;
  field: 'csr';
  value: string;
  message: string;
}

export type IssuanceResult = { issued: true; certificate: IssuedCertificate } | { issued: false; reasons: (Refusal | RequestRefusal)[] };

export interface SigningRequest {
  /** The CSR as fetched from the node, PEM or DER. */
  csr: string | Uint8Array;
  declared: DeclaredCertificate;
  entitlement: NodeEntitlement;
}

export interface CrlOptions {
  revoked: readonly Revocation[];
  number: number;
  /** How long relying parties may use this CRL before they must fetch a newer one. */
  nextUpdateDays: number;
}

const DAY_MS = 86_400_000;

function keyPairFor(keyType: CaKeyType): { publicKey: KeyObject; privateKey: KeyObject } {
  if (keyType === 'ecdsa-p256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('rsa', { modulusLength: Number(keyType.slice('rsa-'.length)) });
}

/** The same public key, whatever its encoding: compared as SPKI DER. */
const sameKey = (a: KeyObject, b: KeyObject): boolean => a.export({ format: 'der', type: 'spki' }).equals(b.export({ format: 'der', type: 'spki' }));

export interface CertificateAuthorityOptions {
  certificatePem: string;
  key: KeyObject;
  policy: IssuancePolicy;
  clock: Clock;
  random: RandomSource;
}

export class CertificateAuthority {
  readonly certificatePem: string;
  /** The CA's subject Name, DER, exactly as its certificate carries it: every issued certificate's issuer. */
  private readonly name: Buffer;
  private readonly keyId: Buffer;
  private readonly signature: SignatureAlgorithm;

  private readonly key: KeyObject;
  private readonly policy: IssuancePolicy;
  private readonly clock: Clock;
  private readonly random: RandomSource;

  /** From its certificate (PEM) and its private key; refuses a key that is not the certificate's key. */
  constructor({ certificatePem, key, policy, clock, random }: CertificateAuthorityOptions) {
    this.key = key;
    this.policy = policy;
    this.clock = clock;
    this.random = random;
    const der = fromPem('CERTIFICATE', certificatePem);
    if (der === null) throw new CertificateAuthorityError('CaCertificateInvalid', 'the CA certificate is not a PEM "CERTIFICATE"');
    let subject: Buffer;
    let spki: Buffer;
    try {
      AsnConvert.parse(der, Certificate);
      // tbsCertificate: version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
      const tbs = derChildren(derChildren(der)[0]!);
      [subject, spki] = [Buffer.from(tbs[5]!), Buffer.from(tbs[6]!)];
    } catch (err) {
      throw new CertificateAuthorityError('CaCertificateInvalid', `the CA certificate is not a valid X.509 certificate: ${err instanceof Error ? err.message : String(err)}`);
    }
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    if (!sameKey(publicKey, createPublicKey(key))) throw new CertificateAuthorityError('CaKeyMismatch', 'the CA key in the secret store is not the key of the CA certificate');
    const keyType = publicKey.asymmetricKeyType;
    if (keyType !== 'ec' && keyType !== 'rsa') throw new CertificateAuthorityError('CaCertificateInvalid', `the CA key is ${keyType}; ECDSA or RSA only`);
    this.certificatePem = toPem('CERTIFICATE', der);
    this.name = subject;
    this.keyId = keyIdentifierOf(spki);
    this.signature = signatureAlgorithmFor(keyType);
  }

  /** Reads the key from the secret store (the only place it lives) for a certificate from Git. */
  static async load({ keySecret, store, ...options }: Omit<CertificateAuthorityOptions, 'key'> & { keySecret: string; store: SecretStore }): Promise<CertificateAuthority> {
    const key = createPrivateKey(await readFile(await store.file(keySecret)));
    return new CertificateAuthority({ ...options, key });
  }

  /** Parses and verifies the CSR, checks it under the policy, and signs it only if everything it asks for is allowed. */
  sign(request: SigningRequest): IssuanceResult {
    let csr;
    try {
      csr = parseCsr(request.csr);
    } catch (err) {
      if (!(err instanceof CsrError)) throw err;
      return { issued: false, reasons: [{ code: err.code, field: 'csr', value: '', message: err.message }] };
    }
    const decision = evaluateRequest(csr, request.declared, request.entitlement, this.policy);
    if (!decision.allowed) return { issued: false, reasons: decision.reasons };
    return { issued: true, certificate: issueCertificate(decision.grant, { name: this.name, keyId: this.keyId, key: this.key, signature: this.signature }, this.clock, this.random) };
  }

  /** A CRL listing the revoked serials, signed now; PEM. */
  crl(options: CrlOptions): string {
    const now = this.clock.now();
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const body = buildTbsCertList({
      signature: this.signature,
      issuer: AsnConvert.parse(this.name, Name),
      authorityKeyId: this.keyId,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + options.nextUpdateDays * DAY_MS),
      number: options.number,
      revoked: options.revoked,
    });
    return toPem('X509 CRL', signedDer(body, this.signature, sign(this.signature.digest, body, this.key)));
  }
}

export interface NewCertificateAuthority {
  certificatePem: string;
  /** PKCS#8 PEM: for the secret store, and nowhere else. */
  keyPem: string;
}

/**
 * A new self-signed CA: basicConstraints CA:TRUE with pathLen 0 (it signs leaves only), keyUsage
 * keyCertSign and cRLSign.
 */
export function createCertificateAuthority(options: { commonName: string; keyType: CaKeyType; validityDays: number; clock: Clock; random: RandomSource }): NewCertificateAuthority {
  const { publicKey, privateKey } = keyPairFor(options.keyType);
  const name = nameOf([{ type: 'CN', value: options.commonName }]);
  const signature = signatureAlgorithmFor(options.keyType === 'ecdsa-p256' ? 'ec' : 'rsa');
  const { notBefore, notAfter } = validityFrom(options.clock.now(), options.validityDays);
  const publicKeyInfo = publicKey.export({ format: 'der', type: 'spki' });
  const keyId = keyIdentifierOf(publicKeyInfo);
  const tbs = buildTbsCertificate({
    serial: serialFrom(options.random.bytes(SERIAL_BYTES)),
    signature,
    issuer: Buffer.from(AsnConvert.serialize(name)),
    authorityKeyId: keyId,
    notBefore,
    notAfter,
    subject: name,
    publicKey: publicKeyInfo,
    dnsNames: [],
    ipAddresses: [],
    keyUsage: ['keyCertSign', 'crlSign'],
    extendedKeyUsage: [],
    ca: { pathLength: 0 },
  });
  const der = signedDer(tbs, signature, sign(signature.digest, tbs, privateKey));
  return { certificatePem: toPem('CERTIFICATE', der), keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
}
