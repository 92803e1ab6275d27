/**
 * The certificates the site's CAs issued: every serial, journalled before the certificate reaches a node,
 * so none is ever lost (a controller killed between signing and installing leaves the serial here, and the
 * next issue for the same certificate revokes it as superseded), and the CRL lists exactly what was revoked.
 * State that cannot be rebuilt from Git, like the pool ledger: every write is durable before it resolves.
 */
import { z } from 'zod';
import type { Revocation } from '../pki/crl.js';

export interface IssuedCertificateRecord {
  /** Hex, as IssuedCertificate.serial. Unique in the database (the store refuses a second one). */
  serial: string;
  /** The CertificateAuthority that signed it. */
  authority: string;
  node: string;
  /** The certificate resource's name on that node. */
  certificate: string;
  notAfter: string;
  /** sha256 of the certificate DER. */
  fingerprint: string;
  issuedAt: string;
  /** When apply confirmed it installed on the node; null while (or if never) installed. */
  installedAt: string | null;
  revokedAt: string | null;
}

export interface IssuedCertificates {
  /** Journals a signed certificate. Refused when its serial exists: a serial is never issued twice. */
  recordIssued(input: Pick<IssuedCertificateRecord, 'serial' | 'authority' | 'node' | 'certificate' | 'notAfter' | 'fingerprint'>): Promise<void>;
  /**
   * Marks the serial installed, and revokes every other unrevoked certificate of the same node and
   * certificate name (superseded: renewed, reissued, or signed and never installed). Idempotent.
   */
  markInstalled(serial: string): Promise<void>;
  /** Revokes every unrevoked certificate of the node's certificate name (it left Git); the serials revoked. Idempotent. */
  revokeAll(input: { node: string; certificate: string }): Promise<string[]>;
  /** The site's certificates, in serial order. */
  issued(): Promise<IssuedCertificateRecord[]>;
  /** What a CRL of the authority lists: its revoked serials (expired ones too: a CRL may drop them, we keep it simple). */
  revocations(authority: string): Promise<Revocation[]>;
}


/** One exported row (`underlay state export`, section `issuedCertificates`). */
export const IssuedCertificateRow = z.strictObject({
  serial: z.string().regex(/^[0-9a-f]+$/),
  authority: z.string(),
  node: z.string(),
  certificate: z.string(),
  notAfter: z.string(),
  fingerprint: z.string(),
  issuedAt: z.string(),
  installedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/**
 * The issued certificates as a section of `underlay state export` / `import` (the shape of StateSection in
 * controller/store/state-export.ts): synchronous, because an import runs every section in one transaction.
 */
export interface IssuedCertificatesSection {
  name: 'issuedCertificates';
  schema: typeof IssuedCertificateRow;
  rows(): IssuedCertificateRecord[];
  /** A serial here already for another node, certificate or authority: the export is of another history. */
  conflicts(rows: readonly IssuedCertificateRecord[]): string[];
  /** Adds the rows whose serial is not here; a revocation the export knows is kept. The number added or revoked. */
  add(rows: readonly IssuedCertificateRecord[]): number;
}
