import test from 'ava';
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import { DirectorySecretStore } from '../secrets/secret-store.js';
import { makeCsr, openssl, opensslWith } from '../../test/support/openssl.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { CertificateAuthority, type CaKeyType, createCertificateAuthority, type IssuanceResult } from './certificate-authority.js';
import { type RandomSource, systemRandom } from './certificate-builder.js';
import { fromPem } from './der.js';
import { DEFAULT_ISSUANCE_POLICY, type DeclaredCertificate, type NodeEntitlement } from './policy.js';

const NOW = '2026-12-01T10:00:00.000Z';
const clock = steppingClock(NOW, 0);

function seeded(seed: number): RandomSource {
  const next = seededRandom(seed);
  return { bytes: (size) => Buffer.from(Array.from({ length: size }, () => Math.floor(next() * 256))) };
}

function authority(keyType: CaKeyType, random: RandomSource = systemRandom): CertificateAuthority {
  const created = createCertificateAuthority({ commonName: `site CA (${keyType})`, keyType, validityDays: 3650, clock, random });
  return new CertificateAuthority({ certificatePem: created.certificatePem, key: createPrivateKey(created.keyPem), policy: DEFAULT_ISSUANCE_POLICY, clock, random });
}

const entitlement: NodeEntitlement = { node: 'node1', addresses: ['198.18.0.11', '10.0.0.5'], zoneNames: ['node1.site.example.net'], clusterNames: ['etcd.site.example.net'] };
const declared: DeclaredCertificate = {
  commonName: 'node1',
  dnsNames: ['node1.site.example.net', 'etcd.site.example.net'],
  ipAddresses: ['198.18.0.11'],
  usages: ['peer'],
  validityDays: 30,
};
const request = { dnsNames: declared.dnsNames as string[], ipAddresses: declared.ipAddresses as string[] };

function issued(result: IssuanceResult): string {
  if (!result.issued) throw new Error(`refused: ${result.reasons.map((r) => r.message).join('; ')}`);
  return result.certificate.pem;
}

const verify = (caPem: string, certPem: string): string => opensslWith({ 'ca.pem': caPem, 'cert.pem': certPem }, ['verify', '-CAfile', '{dir}/ca.pem', '-purpose', 'sslserver', '{dir}/cert.pem']);

for (const caKey of ['ecdsa-p256', 'rsa-2048'] as const) {
  test(`a ${caKey} CA is what openssl calls a CA: CA:TRUE, pathlen 0, keyCertSign and cRLSign, self-signed`, (t) => {
    const ca = authority(caKey);
    const text = openssl(['x509', '-noout', '-text'], ca.certificatePem);
    t.regex(text, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    t.regex(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    t.regex(text, /Not Before: Dec  1 09:55:00 2026 GMT/);
    t.regex(opensslWith({ 'ca.pem': ca.certificatePem }, ['verify', '-CAfile', '{dir}/ca.pem', '{dir}/ca.pem']), /OK/);
  });

  for (const nodeKey of ['ec', 'rsa-2048'] as const) {
    test(`${caKey} CA signs an openssl ${nodeKey} request: openssl verify passes, x509 -text shows SANs, usages, CA:FALSE`, (t) => {
      const ca = authority(caKey);
      const node = makeCsr({ key: nodeKey, ...request, extensions: ['extendedKeyUsage=serverAuth,clientAuth'] });
      const result = ca.sign({ csr: node.csr, declared, entitlement });
      const pem = issued(result);
      t.regex(verify(ca.certificatePem, pem), /cert\.pem: OK/);
      const text = openssl(['x509', '-noout', '-text'], pem);
      t.regex(text, /DNS:node1\.site\.example\.net, DNS:etcd\.site\.example\.net, IP Address:198\.18\.0\.11/);
      t.regex(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      t.regex(text, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
      t.regex(text, nodeKey === 'ec' ? /X509v3 Key Usage: critical\s+Digital Signature\n/ : /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
      t.regex(text, /Subject: CN ?= ?node1/);
      t.regex(text, /Not After : Dec 31 10:00:00 2026 GMT/);
      t.regex(text, caKey === 'ecdsa-p256' ? /Signature Algorithm: ecdsa-with-SHA256/ : /Signature Algorithm: sha256WithRSAEncryption/);
      // The certificate carries the node's own key: the key that stayed on the node matches it.
      const certKey = openssl(['x509', '-noout', '-pubkey'], pem);
      t.is(certKey, openssl(['pkey', '-pubout'], node.key));
      if (result.issued) {
        t.is(result.certificate.serial, openssl(['x509', '-noout', '-serial'], pem).trim().replace(/^serial=/, '').toLowerCase());
        const spki = Buffer.from(certKey.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        t.is(result.certificate.keyFingerprint, createHash('sha256').update(spki).digest('hex'));
      }
    });
  }
}

test('a refused request signs nothing and says why, naming field and value', (t) => {
  const ca = authority('ecdsa-p256');
  const cases: [string, Parameters<typeof makeCsr>[0], string][] = [
    ['CA:TRUE', { ...request, extensions: ['basicConstraints=critical,CA:TRUE'] }, 'CsrCaRequested basicConstraints.cA=TRUE'],
    ['an extra SAN', { dnsNames: [...request.dnsNames, 'www.example.com'], ipAddresses: request.ipAddresses }, 'CsrNameNotDeclared subjectAltName.dNSName=www.example.com'],
    ['another node\'s IP', { dnsNames: request.dnsNames, ipAddresses: [...request.ipAddresses, '198.18.0.12'] }, 'CsrNameNotDeclared subjectAltName.iPAddress=198.18.0.12'],
    ['RSA-1024', { key: 'rsa-1024', ...request }, 'CsrKeyNotAllowed subjectPublicKeyInfo=RSA-1024'],
  ];
  for (const [what, csr, expected] of cases) {
    const result = ca.sign({ csr: makeCsr(csr).csr, declared, entitlement });
    t.false(result.issued, what);
    if (!result.issued) t.deepEqual(result.reasons.map((r) => `${r.code} ${r.field}=${r.value}`), [expected], what);
  }
});

test('another node\'s IP is refused even when the certificate declares it: the node does not own it', (t) => {
  const ca = authority('ecdsa-p256');
  const ips = ['198.18.0.11', '198.18.0.12'];
  const result = ca.sign({ csr: makeCsr({ dnsNames: request.dnsNames, ipAddresses: ips }).csr, declared: { ...declared, ipAddresses: ips }, entitlement });
  t.false(result.issued);
  if (!result.issued) {
    t.deepEqual(result.reasons.map((r) => r.code), ['CsrAddressNotAllowed']);
    t.is(result.reasons[0]!.message, 'IP address 198.18.0.12 is not one of node1\'s addresses (10.0.0.5, 198.18.0.11)');
  }
});

test('a request tampered after it was signed (one byte of its SAN) is refused as a bad signature, nothing signed', (t) => {
  const ca = authority('ecdsa-p256');
  const der = fromPem('CERTIFICATE REQUEST', makeCsr(request).csr)!;
  // The SAN's IP address, 198.18.0.11, as its four bytes; it becomes 198.18.0.12.
  const at = der.indexOf(Buffer.from([198, 18, 0, 11]));
  t.true(at > 0);
  der[at + 3] = 12;
  const result = ca.sign({ csr: der, declared, entitlement });
  t.false(result.issued);
  if (!result.issued) t.deepEqual(result.reasons.map((r) => r.code), ['CsrBadSignature']);
});

test('serials: random, positive, at least 64 bits, unique over many signings', (t) => {
  const ca = authority('ecdsa-p256');
  const csr = makeCsr(request).csr;
  const serials = new Set<string>();
  const count = 2000;
  for (let i = 0; i < count; i++) {
    const result = ca.sign({ csr, declared, entitlement });
    if (!result.issued) return t.fail();
    const serial = result.certificate.serial;
    t.true(BigInt(`0x${serial}`) >= 2n ** 64n, serial);
    t.true(Number.parseInt(serial.slice(0, 2), 16) < 0x80, 'positive: the top bit is clear');
    serials.add(serial);
  }
  t.is(serials.size, count);
});

test('the serial comes from the injected random source, the validity from the injected clock', (t) => {
  const csr = makeCsr(request).csr;
  const serialOf = (seed: number): string => {
    const result = authority('ecdsa-p256', seeded(seed)).sign({ csr, declared, entitlement });
    return result.issued ? `${result.certificate.serial} ${result.certificate.notAfter.toISOString()}` : 'refused';
  };
  t.is(serialOf(7), serialOf(7));
  t.not(serialOf(7), serialOf(8));
  t.true(serialOf(7).endsWith(' 2026-12-31T10:00:00.000Z'));
});

test('the CRL lists the revoked serials, signed by the CA: openssl crl verifies it and verify -crl_check refuses the revoked', (t) => {
  const ca = authority('ecdsa-p256');
  const revokedResult = ca.sign({ csr: makeCsr(request).csr, declared, entitlement });
  const keptResult = ca.sign({ csr: makeCsr(request).csr, declared, entitlement });
  if (!revokedResult.issued || !keptResult.issued) return t.fail();
  const crl = ca.crl({ revoked: [{ serial: revokedResult.certificate.serial, revokedAt: new Date(NOW) }], number: 3, nextUpdateDays: 7 });
  const files = { 'ca.pem': ca.certificatePem, 'crl.pem': crl, 'revoked.pem': revokedResult.certificate.pem, 'kept.pem': keptResult.certificate.pem };
  const text = opensslWith(files, ['crl', '-in', '{dir}/crl.pem', '-CAfile', '{dir}/ca.pem', '-noout', '-text']);
  t.regex(text, new RegExp(`Serial Number: ${revokedResult.certificate.serial.toUpperCase()}`));
  t.regex(text, /X509v3 CRL Number:\s+3/);
  t.regex(text, /Next Update: Dec  8 10:00:00 2026 GMT/);
  t.regex(opensslWith(files, ['verify', '-crl_check', '-CAfile', '{dir}/ca.pem', '-CRLfile', '{dir}/crl.pem', '{dir}/kept.pem']), /kept\.pem: OK/);
  const error = t.throws(() => opensslWith(files, ['verify', '-crl_check', '-CAfile', '{dir}/ca.pem', '-CRLfile', '{dir}/crl.pem', '{dir}/revoked.pem']));
  t.regex(String((error as { stdout?: Buffer }).stdout ?? '') + String(error?.message), /certificate revoked/);
});

test('a CA whose key is not its certificate\'s key is refused', (t) => {
  const a = createCertificateAuthority({ commonName: 'a', keyType: 'ecdsa-p256', validityDays: 10, clock, random: systemRandom });
  const b = createCertificateAuthority({ commonName: 'b', keyType: 'ecdsa-p256', validityDays: 10, clock, random: systemRandom });
  t.throws(() => new CertificateAuthority({ certificatePem: a.certificatePem, key: createPrivateKey(b.keyPem), policy: DEFAULT_ISSUANCE_POLICY, clock, random: systemRandom }), { message: /not the key of the CA certificate/ });
});

test('a CA loads its key from the secret store by name, and signs', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'underlay-ca-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new DirectorySecretStore(dir);
  const created = createCertificateAuthority({ commonName: 'site CA', keyType: 'ecdsa-p256', validityDays: 10, clock, random: systemRandom });
  await store.create('site-ca-key', created.keyPem);
  const ca = await CertificateAuthority.load({ certificatePem: created.certificatePem, keySecret: 'site-ca-key', store, policy: DEFAULT_ISSUANCE_POLICY, clock, random: systemRandom });
  t.regex(verify(ca.certificatePem, issued(ca.sign({ csr: makeCsr(request).csr, declared, entitlement }))), /OK/);
  await t.throwsAsync(CertificateAuthority.load({ certificatePem: created.certificatePem, keySecret: 'missing', store, policy: DEFAULT_ISSUANCE_POLICY, clock, random: systemRandom }), { message: /no file/ });
});
