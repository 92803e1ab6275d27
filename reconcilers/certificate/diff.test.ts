import test from 'ava';
import { diffCertificate } from './diff.js';
import type { DesiredCertificate, ObservedCertificate } from './schema.js';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nnot read by these tests\n-----END CERTIFICATE-----\n';
const want: DesiredCertificate = {
  kind: 'certificate', name: 'etcd-peer', ca: 'site-ca', commonName: 'n1', dnsNames: ['n1.site.example.net', 'n1'], ipAddresses: ['198.18.0.11'],
  usages: ['peer'], keyPath: '/etc/etcd/peer.key', certPath: '/etc/etcd/peer.crt', owner: 'root', group: 'root', mode: '0644', keyType: 'ecdsa-p256', validityDays: 30, rotationPolicy: 'Always',
  issuance: { authority: { name: 'site-ca', certificate: CA_PEM, keySecret: 'k' }, policy: { maxValidityDays: 90, keyTypes: ['ecdsa-p256'], usages: ['server', 'client'] }, entitlement: { node: 'n1', dnsNames: ['n1', 'n1.site.example.net'], ipAddresses: ['198.18.0.11'] } },
};
const KEY = 'b'.repeat(64);
// Issued 2025-01-01 for 30 days: two thirds are 20 days, less at most a day of jitter.
const seen: ObservedCertificate = {
  kind: 'certificate', name: 'etcd-peer', exists: true, serial: '4a01', notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2025-01-31T00:00:00.000Z',
  commonName: 'n1', dnsNames: ['n1', 'n1.site.example.net'], ipAddresses: ['198.18.0.11'], issuer: 'CN=site CA', keyType: 'ecdsa-p256', usages: ['client', 'server'],
  keyFingerprint: KEY, fingerprint: 'c'.repeat(64), nodeKeyFingerprint: KEY, mode: '0644', owner: 'root', group: 'root',
};
const at = (now: string) => ({ serviceManager: 'runit' as const, desiredHash: () => 'h', managedHash: 'h', now });
// The CA certificate above is no certificate, so the issuer check does not apply: these tests are about everything else.

test('a missing certificate is issued with a new key', (t) => {
  const r = diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: want, observed: undefined, managedHash: undefined });
  t.is(r?.action, 'create');
  t.is(r?.reason, 'issue: not in the inventory (assumed missing)');
  t.is(r?.after?.issue, 'new-key');
});

test('nothing to do before two thirds of the lifetime', (t) => {
  t.is(diffCertificate({ ...at('2025-01-15T00:00:00Z'), desired: want, observed: seen }), null);
});

test('renewed from two thirds of the lifetime, with jitter from node, certificate and serial', (t) => {
  const r = diffCertificate({ ...at('2025-01-21T00:00:00Z'), desired: want, observed: seen });
  t.deepEqual([r?.action, r?.reason, r?.after?.issue], ['update', 'renew: expires in 10 days', 'new-key']);
  // Due because time passed, at the same desired state: the planner must not take it for drift (ADR 0028).
  t.is(r?.drift, false);
  // The jitter moves the renewal earlier by up to a day, the same on every run: day 19 renews for this serial or not, always alike.
  const day19 = diffCertificate({ ...at('2025-01-19T12:00:00Z'), desired: want, observed: seen });
  t.deepEqual(diffCertificate({ ...at('2025-01-19T12:00:00Z'), desired: want, observed: seen }), day19);
  t.regex(diffCertificate({ ...at('2025-02-02T00:00:00Z'), desired: want, observed: seen })?.reason ?? '', /^renew: expired 2 days ago$/);
});

test('reissued when what it must say changed, naming the change', (t) => {
  const r = diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: { ...want, ipAddresses: ['198.18.0.11', '198.18.0.14'] }, observed: seen });
  t.is(r?.reason, 'reissue: SAN 198.18.0.14 added');
  const removed = diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: { ...want, dnsNames: ['n1'] }, observed: seen });
  t.is(removed?.reason, 'reissue: SAN n1.site.example.net removed');
  const usage = diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: { ...want, usages: ['server'] }, observed: seen });
  t.is(usage?.reason, 'reissue: usage client removed');
  const key = diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: want, observed: { ...seen, nodeKeyFingerprint: 'd'.repeat(64) } });
  t.is(key?.reason, "reissue: the key at /etc/etcd/peer.key is not the certificate's key");
  // A key swapped on the node at the same desired state is the planner's to judge by the managed record.
  t.false('drift' in (key ?? {}));
});

test('rotationPolicy Never keeps the key on the node when it is the certificate\'s and of the right type', (t) => {
  const never = { ...want, rotationPolicy: 'Never' as const };
  t.is(diffCertificate({ ...at('2025-01-21T00:00:00Z'), desired: never, observed: seen })?.after?.issue, 'same-key');
  t.is(diffCertificate({ ...at('2025-01-21T00:00:00Z'), desired: { ...never, keyType: 'rsa-2048' }, observed: seen })?.after?.issue, 'new-key');
  t.is(diffCertificate({ ...at('2025-01-21T00:00:00Z'), desired: want, observed: seen })?.after?.issue, 'new-key');
});

test('only the bundle or the attributes: installed, nothing signed', (t) => {
  const r = diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: { ...want, caBundlePath: '/etc/etcd/ca.crt', mode: '0640' }, observed: seen });
  t.deepEqual([r?.reason, r?.after?.issue], ['install: mode 0644 -> 0640, CA bundle /etc/etcd/ca.crt missing', 'none']);
});

test('a certificate no longer in Git is deleted (and revoked) only when managed', (t) => {
  t.is(diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: null, observed: seen })?.action, 'delete');
  t.is(diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: null, observed: seen, managedHash: undefined }), null);
});

test('a rotation (renewal or reissue) is disruptive: it goes batch by batch; a first issue and an install are not', (t) => {
  t.true(diffCertificate({ ...at('2025-01-21T00:00:00Z'), desired: want, observed: seen })?.disruptive);
  t.true(diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: { ...want, dnsNames: ['n1'] }, observed: seen })?.disruptive);
  t.falsy(diffCertificate({ ...at('2025-01-02T00:00:00Z'), desired: want, observed: { ...seen, exists: false } })?.disruptive);
});
