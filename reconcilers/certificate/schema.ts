/** A node certificate: its entry in a module, its desired spec, and what the probe observes. */
import { z } from 'zod';
import { Name, NodePath, Sha256Hex, Template } from '../../controller/spec/primitives.js';

/** Declared now; issuing (CSR on the node, signing by the CA policy) comes with the certificate reconciler. */
export const CertificateResource = z.strictObject({
  name: Name,
  ca: Name,
  commonName: Template,
  dnsNames: z.array(Template).default([]),
  ipAddresses: z.array(Template).default([]),
  usages: z.array(z.enum(['server', 'client', 'peer'])).default(['server']),
  keyPath: NodePath,
  certPath: NodePath,
  /** Key stays on the node: generated there, only the CSR leaves. */
  keyType: z.enum(['ed25519', 'ecdsa-p256', 'rsa-2048']).default('ecdsa-p256'),
  validityDays: z.number().int().min(1).max(825).default(90),
});
export type CertificateDoc = z.infer<typeof CertificateResource>;

export interface DesiredCertificate {
  kind: 'certificate';
  name: string;
  ca: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  usages: ('server' | 'client' | 'peer')[];
  keyPath: string;
  certPath: string;
  keyType: 'ed25519' | 'ecdsa-p256' | 'rsa-2048';
  validityDays: number;
}

export const ObservedCertificate = z.strictObject({
  kind: z.literal('certificate'),
  name: z.string(),
  exists: z.boolean(),
  notAfter: z.string().optional(),
  /** sha256 of the DER certificate. */
  fingerprint: Sha256Hex.optional(),
  /** Hash of the subject/SAN request it was issued for, recorded at issue time. */
  requestHash: Sha256Hex.optional(),
});
export type ObservedCertificate = z.infer<typeof ObservedCertificate>;
