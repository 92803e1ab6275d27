/** A node certificate: its entry in a module, its desired spec, and what the probe observes. */
import { z } from 'zod';
import type { IssuanceTerms } from '../../controller/pki/issuance-terms.js';
import { Account, FileMode, Name, NodePath, Sha256Hex, Template } from '../../controller/spec/primitives.js';

/** The key types a node generates and the CA signs: ECDSA P-256 and RSA of at least 2048 bits (ADR 0013). */
export const CERTIFICATE_KEY_TYPES = ['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export type CertificateKeyType = (typeof CERTIFICATE_KEY_TYPES)[number];
export type CertificateUsageName = 'server' | 'client' | 'peer';

export const CertificateResource = z.strictObject({
  name: Name,
  ca: Name,
  commonName: Template,
  dnsNames: z.array(Template).default([]),
  ipAddresses: z.array(Template).default([]),
  usages: z.array(z.enum(['server', 'client', 'peer'])).default(['server']),
  /** Generated on the node, written 0600 (owner and group below) and never read back: only the CSR leaves. */
  keyPath: NodePath,
  certPath: NodePath,
  /** Where the CA's certificate is installed with the certificate, for the peers' verification; none by default. */
  caBundlePath: NodePath.optional(),
  /** Of the key, the certificate and the bundle: the service that reads the key runs as them. */
  owner: Account.default('root'),
  group: Account.default('root'),
  /** Of the certificate and the bundle; the key is always 0600. */
  mode: FileMode.default('0644'),
  keyType: z.enum(CERTIFICATE_KEY_TYPES).default('ecdsa-p256'),
  validityDays: z.number().int().min(1).max(825).default(30),
  /** `Always`: a new key on every reissue and renewal; `Never`: the key on the node is kept while it is of the right type. */
  rotationPolicy: z.enum(['Always', 'Never']).default('Always'),
});
export type CertificateDoc = z.infer<typeof CertificateResource>;

/**
 * What the site lets the CA sign for this node, computed at plan time (resolve) from the site documents and
 * carried in the change: apply signs under exactly this, never under what the node says.
 */
export type CertificateIssuance = IssuanceTerms;

export interface DesiredCertificate {
  kind: 'certificate';
  name: string;
  ca: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  usages: CertificateUsageName[];
  keyPath: string;
  certPath: string;
  caBundlePath?: string;
  owner: string;
  group: string;
  mode: string;
  keyType: CertificateKeyType;
  validityDays: number;
  rotationPolicy: 'Always' | 'Never';
  /** Set by resolve once the whole site is known (the kind's `bind`). */
  issuance?: CertificateIssuance;
}

export const ObservedCertificate = z.strictObject({
  kind: z.literal('certificate'),
  name: z.string(),
  exists: z.boolean(),
  /** Read from the certificate at certPath (controller side, from its PEM). */
  serial: z.string().optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  commonName: z.string().optional(),
  dnsNames: z.array(z.string()).optional(),
  ipAddresses: z.array(z.string()).optional(),
  /** The issuer's subject, as `CN=...`, and the authority key id (hex) it names. */
  issuer: z.string().optional(),
  issuerKeyId: z.string().optional(),
  keyType: z.string().optional(),
  /** Its extended key usages as the resource names them (`server`, `client`). */
  usages: z.array(z.enum(['server', 'client'])).optional(),
  /** sha256 of the certificate's SubjectPublicKeyInfo DER. */
  keyFingerprint: Sha256Hex.optional(),
  /** sha256 of the DER certificate. */
  fingerprint: Sha256Hex.optional(),
  /** sha256 of the public half of the key at keyPath, computed on the node; absent when there is no key. */
  nodeKeyFingerprint: Sha256Hex.optional(),
  /** sha256 of the file at caBundlePath, when asked and present. */
  caBundleSha256: Sha256Hex.optional(),
  /** The certificate file's mode, owner and group. */
  mode: z.string().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
});
export type ObservedCertificate = z.infer<typeof ObservedCertificate>;
