/**
 * The certificates the site's CAs issued: every serial, journalled before the certificate reaches a node,
 * so none is ever lost (a controller killed between signing and installing leaves the serial here, and the
 * next issue for the same certificate revokes it as superseded), and the CRL lists exactly what was revoked.
 * State that cannot be rebuilt from Git, like the pool ledger: every write is durable before it resolves.
 */
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
  /** Adds exported records whose serial is not here yet, as they were (import); a serial here already is kept. */
  restore(records: readonly IssuedCertificateRecord[]): Promise<void>;
}

/** The `issuedCertificates` section of `underlay state export` (ipam's export/import plugs it in). */
export interface IssuedCertificatesSection {
  issuedCertificates: IssuedCertificateRecord[];
}

export async function exportIssued(store: IssuedCertificates): Promise<IssuedCertificatesSection> {
  return { issuedCertificates: await store.issued() };
}

export async function importIssued(store: IssuedCertificates, section: IssuedCertificatesSection): Promise<void> {
  await store.restore(section.issuedCertificates);
}
