import test from 'ava';
import type { CertificateRequest } from './csr.js';
import { DEFAULT_ISSUANCE_POLICY, type DeclaredCertificate, evaluateRequest, type NodeEntitlement, type PolicyDecision } from './policy.js';

/** A request as parseCsr returns it, stating only what a test is about (the signature was checked there). */
function request(overrides: Partial<CertificateRequest> = {}): CertificateRequest {
  return {
    der: Buffer.alloc(0),
    subject: [{ type: 'CN', value: 'node1' }],
    dnsNames: ['node1.site.example.net', 'etcd.site.example.net'],
    ipAddresses: ['198.18.0.11'],
    otherNames: [],
    unknownExtensions: [],
    publicKey: { algorithm: { type: 'ec', curve: 'P-256' }, spki: Buffer.from('spki'), fingerprint: 'f'.repeat(64) },
    ...overrides,
  };
}

const entitlement: NodeEntitlement = { node: 'node1', addresses: ['198.18.0.11', '2001:db8::11'], zoneNames: ['node1.site.example.net'], clusterNames: ['etcd.site.example.net'] };
const declared: DeclaredCertificate = { commonName: 'node1', dnsNames: ['node1.site.example.net', 'etcd.site.example.net'], ipAddresses: ['198.18.0.11'], usages: ['server'], validityDays: 30 };

const reasons = (d: PolicyDecision): string[] => (d.allowed ? [] : d.reasons.map((r) => `${r.code} ${r.field}=${r.value}`));

test('a request for exactly what is declared, all of it the node\'s own, is granted: server usage, EC key usages', (t) => {
  const decision = evaluateRequest(request({ extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'], keyUsage: ['digitalSignature'] }), declared, entitlement, DEFAULT_ISSUANCE_POLICY);
  t.true(decision.allowed);
  if (decision.allowed) {
    t.deepEqual(decision.grant.extendedKeyUsage, ['1.3.6.1.5.5.7.3.1']);
    t.deepEqual(decision.grant.keyUsage, ['digitalSignature']);
    t.deepEqual(decision.grant.dnsNames, declared.dnsNames);
    t.is(decision.grant.validityDays, 30);
  }
});

test('names compare as DNS does (case, trailing dot) and addresses as addresses (IPv6 spellings)', (t) => {
  const csr = request({ dnsNames: ['NODE1.site.example.net.', 'etcd.site.example.net'], ipAddresses: ['198.18.0.11', '2001:0db8:0:0::11'] });
  const decision = evaluateRequest(csr, { ...declared, ipAddresses: ['198.18.0.11', '2001:db8::11'] }, entitlement, DEFAULT_ISSUANCE_POLICY);
  t.deepEqual(reasons(decision), []);
  if (decision.allowed) t.deepEqual(decision.grant.ipAddresses, ['198.18.0.11', '2001:db8::11']);
});

test('every reason at once: CA:TRUE, a weak key, an extra SAN, a SAN of another type, an unknown extension, too long', (t) => {
  const csr = request({
    basicConstraints: { ca: true },
    publicKey: { algorithm: { type: 'rsa', bits: 1024 }, spki: Buffer.alloc(0), fingerprint: '' },
    dnsNames: [...declared.dnsNames, 'www.example.com'],
    otherNames: ['email:root@example.com'],
    unknownExtensions: ['2.16.840.1.113730.1.13'],
  });
  t.deepEqual(reasons(evaluateRequest(csr, { ...declared, validityDays: 400 }, entitlement, DEFAULT_ISSUANCE_POLICY)), [
    'CsrKeyNotAllowed subjectPublicKeyInfo=RSA-1024',
    'CsrCaRequested basicConstraints.cA=TRUE',
    'CsrSanTypeNotAllowed subjectAltName=email:root@example.com',
    'CsrExtensionNotAllowed extensionRequest=2.16.840.1.113730.1.13',
    'CsrNameNotDeclared subjectAltName.dNSName=www.example.com',
    'CsrValidityTooLong validityDays=400',
  ]);
});

test('a declared name or address that is not the node\'s own is refused, and the message says whose it is', (t) => {
  const other = { ...declared, dnsNames: ['node2.site.example.net'], ipAddresses: ['198.18.0.12'] };
  const decision = evaluateRequest(request({ dnsNames: other.dnsNames, ipAddresses: other.ipAddresses }), other, entitlement, DEFAULT_ISSUANCE_POLICY);
  t.deepEqual(reasons(decision), ['CsrNameNotAllowed subjectAltName.dNSName=node2.site.example.net', 'CsrAddressNotAllowed subjectAltName.iPAddress=198.18.0.12']);
  if (!decision.allowed) t.is(decision.reasons[1]!.message, 'IP address 198.18.0.12 is not one of node1\'s addresses (198.18.0.11, 2001:db8::11)');
});

test('a declared SAN the request leaves out is refused too: the certificate says what was declared or nothing', (t) => {
  t.deepEqual(reasons(evaluateRequest(request({ ipAddresses: [] }), declared, entitlement, DEFAULT_ISSUANCE_POLICY)), ['CsrNameNotRequested subjectAltName.iPAddress=198.18.0.11']);
});

test('subject: the declared CN only, one of the node\'s names; O only when the policy lists it', (t) => {
  const csr = request({ subject: [{ type: 'CN', value: 'root' }, { type: 'O', value: 'system:masters' }] });
  t.deepEqual(reasons(evaluateRequest(csr, declared, entitlement, DEFAULT_ISSUANCE_POLICY)), ['CsrNameNotDeclared subject.CN=root', 'CsrSubjectNotAllowed subject.O=system:masters']);
  const grouped = request({ subject: [{ type: 'CN', value: 'node1' }, { type: 'O', value: 'system:nodes' }] });
  t.deepEqual(reasons(evaluateRequest(grouped, declared, entitlement, { ...DEFAULT_ISSUANCE_POLICY, organizations: ['system:nodes'] })), []);
  t.deepEqual(reasons(evaluateRequest(request(), { ...declared, commonName: 'etcd.site.example.net' }, entitlement, DEFAULT_ISSUANCE_POLICY)), ['CsrNameNotDeclared subject.CN=node1']);
});

test('usages: an EKU beyond the declared usages, a key usage a TLS leaf never has, a usage the CA does not grant', (t) => {
  const csr = request({ extendedKeyUsage: ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.3'], keyUsage: ['digitalSignature', 'keyCertSign'] });
  t.deepEqual(reasons(evaluateRequest(csr, declared, entitlement, DEFAULT_ISSUANCE_POLICY)), [
    'CsrUsageNotAllowed extendedKeyUsage=clientAuth',
    'CsrUsageNotAllowed extendedKeyUsage=1.3.6.1.5.5.7.3.3',
    'CsrUsageNotAllowed keyUsage=keyCertSign',
  ]);
  t.deepEqual(reasons(evaluateRequest(request(), { ...declared, usages: ['peer'] }, entitlement, { ...DEFAULT_ISSUANCE_POLICY, usages: ['server'] })), ['CsrUsageNotAllowed usages=peer']);
});

test('keys: P-256 and RSA 2048..8192 by default; other curves and key types refused', (t) => {
  const withKey = (algorithm: CertificateRequest['publicKey']['algorithm']): string[] =>
    reasons(evaluateRequest(request({ publicKey: { algorithm, spki: Buffer.alloc(0), fingerprint: '' } }), declared, entitlement, DEFAULT_ISSUANCE_POLICY));
  t.deepEqual(withKey({ type: 'rsa', bits: 2048 }), []);
  t.deepEqual(withKey({ type: 'rsa', bits: 16384 }), ['CsrKeyNotAllowed subjectPublicKeyInfo=RSA-16384']);
  t.deepEqual(withKey({ type: 'ec', curve: 'P-384' }), ['CsrKeyNotAllowed subjectPublicKeyInfo=EC P-384']);
  t.deepEqual(withKey({ type: 'other', name: 'ed25519' }), ['CsrKeyNotAllowed subjectPublicKeyInfo=ed25519']);
});
