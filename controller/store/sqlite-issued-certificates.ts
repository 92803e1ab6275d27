/**
 * The issued certificates (issued-certificates.ts) in the embedded store: an `issued_certificates` table,
 * one row per serial, the serial UNIQUE in the whole database, so the database itself refuses a serial
 * issued twice.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { UnderlayError } from '../model/errors.js';
import type { Revocation } from '../pki/crl.js';
import { IssuedCertificateRow, type IssuedCertificateRecord, type IssuedCertificates, type IssuedCertificatesSection } from './issued-certificates.js';

/** The migration that adds the table (appended to sqlite-store.ts's list). */
export const ISSUED_CERTIFICATES_MIGRATION = `
  CREATE TABLE issued_certificates (
    serial TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    authority TEXT NOT NULL,
    node TEXT NOT NULL,
    certificate TEXT NOT NULL,
    not_after TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    installed_at TEXT,
    revoked_at TEXT
  );
  CREATE INDEX issued_certificates_by_name ON issued_certificates (site, node, certificate);
`;

interface Row {
  serial: string;
  authority: string;
  node: string;
  certificate: string;
  not_after: string;
  fingerprint: string;
  issued_at: string;
  installed_at: string | null;
  revoked_at: string | null;
}

const record = (r: Row): IssuedCertificateRecord => ({
  serial: r.serial,
  authority: r.authority,
  node: r.node,
  certificate: r.certificate,
  notAfter: r.not_after,
  fingerprint: r.fingerprint,
  issuedAt: r.issued_at,
  installedAt: r.installed_at,
  revokedAt: r.revoked_at,
});

/** better-sqlite3 is synchronous; the interface is async for the scale-out store. A throw becomes a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

export class SqliteIssuedCertificates implements IssuedCertificates {
  constructor(
    private readonly db: Database.Database,
    private readonly site: string,
    private readonly clock: Clock,
  ) {}

  recordIssued(input: Parameters<IssuedCertificates['recordIssued']>[0]): Promise<void> {
    return settle(() => {
      try {
        this.db
          .prepare(`INSERT INTO issued_certificates (serial, site, authority, node, certificate, not_after, fingerprint, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(input.serial, this.site, input.authority, input.node, input.certificate, input.notAfter, input.fingerprint, this.clock.now().toISOString());
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
        throw new UnderlayError({ code: 'SerialTaken', message: `serial ${input.serial} was issued before: a serial is never issued twice (nothing installed)`, data: { serial: input.serial } });
      }
    });
  }

  markInstalled(serial: string): Promise<void> {
    const at = this.clock.now().toISOString();
    return settle(() =>
      this.db.transaction(() => {
        const row = this.db.prepare(`SELECT node, certificate FROM issued_certificates WHERE site = ? AND serial = ?`).get(this.site, serial) as { node: string; certificate: string } | undefined;
        if (!row) return;
        this.db.prepare(`UPDATE issued_certificates SET installed_at = ? WHERE serial = ? AND installed_at IS NULL`).run(at, serial);
        this.db
          .prepare(`UPDATE issued_certificates SET revoked_at = ? WHERE site = ? AND node = ? AND certificate = ? AND serial <> ? AND revoked_at IS NULL`)
          .run(at, this.site, row.node, row.certificate, serial);
      })(),
    );
  }

  revokeAll({ node, certificate }: { node: string; certificate: string }): Promise<string[]> {
    const at = this.clock.now().toISOString();
    return settle(() =>
      this.db.transaction(() => {
        const rows = this.db.prepare(`SELECT serial FROM issued_certificates WHERE site = ? AND node = ? AND certificate = ? AND revoked_at IS NULL ORDER BY serial`).all(this.site, node, certificate) as { serial: string }[];
        this.db.prepare(`UPDATE issued_certificates SET revoked_at = ? WHERE site = ? AND node = ? AND certificate = ? AND revoked_at IS NULL`).run(at, this.site, node, certificate);
        return rows.map((r) => r.serial);
      })(),
    );
  }

  issued(): Promise<IssuedCertificateRecord[]> {
    return settle(() => (this.db.prepare(`SELECT * FROM issued_certificates WHERE site = ? ORDER BY serial`).all(this.site) as Row[]).map(record));
  }

  revocations(authority: string): Promise<Revocation[]> {
    return settle(() =>
      (this.db.prepare(`SELECT serial, revoked_at FROM issued_certificates WHERE site = ? AND authority = ? AND revoked_at IS NOT NULL ORDER BY serial`).all(this.site, authority) as { serial: string; revoked_at: string }[]).map(
        (r) => ({ serial: r.serial, revokedAt: new Date(r.revoked_at) }),
      ),
    );
  }

  /** The `issuedCertificates` section of a state export (issued-certificates.ts). */
  section(): IssuedCertificatesSection {
    const bySerial = (serial: string) => this.db.prepare(`SELECT * FROM issued_certificates WHERE serial = ?`).get(serial) as (Row & { site: string }) | undefined;
    return {
      name: 'issuedCertificates',
      schema: IssuedCertificateRow,
      rows: () => (this.db.prepare(`SELECT * FROM issued_certificates WHERE site = ? ORDER BY serial`).all(this.site) as Row[]).map(record),
      conflicts: (rows) =>
        rows.flatMap((r) => {
          const here = bySerial(r.serial);
          if (!here) return [];
          const same = here.site === this.site && here.authority === r.authority && here.node === r.node && here.certificate === r.certificate;
          return same ? [] : [`serial ${r.serial} is here already for ${here.site}/${here.node}/${here.certificate} (CA ${here.authority}), in the export for ${r.node}/${r.certificate} (CA ${r.authority})`];
        }),
      add: (rows) => {
        let changed = 0;
        const insert = this.db.prepare(
          `INSERT INTO issued_certificates (serial, site, authority, node, certificate, not_after, fingerprint, issued_at, installed_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO NOTHING`,
        );
        const revoke = this.db.prepare(`UPDATE issued_certificates SET revoked_at = ? WHERE serial = ? AND revoked_at IS NULL`);
        for (const r of rows) {
          changed += insert.run(r.serial, this.site, r.authority, r.node, r.certificate, r.notAfter, r.fingerprint, r.issuedAt, r.installedAt, r.revokedAt).changes;
          if (r.revokedAt !== null) changed += revoke.run(r.revokedAt, r.serial).changes;
        }
        return changed;
      },
    };
  }
}
