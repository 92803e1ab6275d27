import test from 'ava';
import { certificateRequestHash, diffCertificate } from './diff.js';
import type { DesiredCertificate } from './schema.js';

const want: DesiredCertificate = {
  kind: 'certificate', name: 'etcd-peer', ca: 'site-ca', commonName: 'n1', dnsNames: ['n1.site.example.net', 'n1'], ipAddresses: ['192.0.2.1'],
  usages: ['server', 'peer'], keyPath: '/etc/etcd/peer.key', certPath: '/etc/etcd/peer.crt', keyType: 'ecdsa-p256', validityDays: 90,
};
const base = { serviceManager: 'runit' as const, desiredHash: () => 'h', managedHash: 'h', now: '2025-01-01T00:00:00Z' };
const seen = (notAfter: string, requestHash = certificateRequestHash(want)) => ({ kind: 'certificate' as const, name: 'etcd-peer', exists: true, notAfter, requestHash });

test('request hash ignores list order', (t) => {
  t.is(certificateRequestHash(want), certificateRequestHash({ ...want, dnsNames: ['n1', 'n1.site.example.net'], usages: ['peer', 'server'] }));
  t.not(certificateRequestHash(want), certificateRequestHash({ ...want, dnsNames: ['n1'] }));
});

test('missing certificate is created', (t) => {
  t.is(diffCertificate({ ...base, desired: want, observed: undefined, managedHash: undefined })?.action, 'create');
});

test('renewed only within the last third of its validity (30 of 90 days)', (t) => {
  t.is(diffCertificate({ ...base, desired: want, observed: seen('2025-02-01T00:00:00Z') }), null);
  const r = diffCertificate({ ...base, desired: want, observed: seen('2025-01-20T00:00:00Z') });
  t.deepEqual([r?.action, r?.reason], ['update', 'expires 2025-01-20T00:00:00Z, within the last third of its 90-day validity']);
  t.regex(diffCertificate({ ...base, desired: want, observed: seen('2024-12-01T00:00:00Z') })?.reason ?? '', /^expired at/);
});

test('a changed request re-issues', (t) => {
  const r = diffCertificate({ ...base, desired: want, observed: seen('2025-03-01T00:00:00Z', 'a'.repeat(64)) });
  t.regex(r?.reason ?? '', /^request changed/);
});
