/** Certificates as alerts: the current one of each name, expiring within the warning, raises; renewed, it resolves. */
import test from 'ava';
import type { IssuedCertificateRecord } from '../store/issued-certificates.js';
import { certificateAlerts } from './certificate-alerts.js';

const cert = (serial: string, notAfter: string, over: Partial<IssuedCertificateRecord> = {}): IssuedCertificateRecord => ({
  serial,
  authority: 'lab-ca',
  node: 'node1',
  certificate: 'etcd-peer',
  notAfter,
  fingerprint: `fp-${serial}`,
  issuedAt: '2026-01-01T00:00:00.000Z',
  installedAt: '2026-01-01T00:01:00.000Z',
  revokedAt: null,
  ...over,
});

const now = new Date('2026-03-25T00:00:00.000Z');

test('the installed certificate expiring within a week raises; far from expiry it resolves', (t) => {
  const expiring = certificateAlerts({ site: 'lab', issued: [cert('01', '2026-03-30T00:00:00.000Z')], now });
  t.deepEqual(expiring.raise.map((a) => [a.reason, a.key]), [['CertificateExpiring', 'node1/etcd-peer']]);
  t.regex(expiring.raise[0]?.summary ?? '', /expires at 2026-03-30T00:00:00.000Z, in 120 h/);
  const fine = certificateAlerts({ site: 'lab', issued: [cert('01', '2026-06-30T00:00:00.000Z')], now });
  t.deepEqual([fine.raise, fine.resolve], [[], ['node1/etcd-peer']]);
});

test('a renewed certificate supersedes the old one; revoked and never-installed ones do not count', (t) => {
  const issued = [
    cert('01', '2026-03-26T00:00:00.000Z'),
    cert('02', '2026-06-20T00:00:00.000Z', { issuedAt: '2026-03-20T00:00:00.000Z' }),
    cert('03', '2026-03-26T00:00:00.000Z', { certificate: 'etcd-client', revokedAt: '2026-03-01T00:00:00.000Z' }),
    cert('04', '2026-03-26T00:00:00.000Z', { certificate: 'etcd-server', installedAt: null }),
  ];
  t.deepEqual(certificateAlerts({ site: 'lab', issued, now }), { raise: [], resolve: ['node1/etcd-peer'] });
});
