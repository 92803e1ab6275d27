import test from 'ava';
import { createHash } from 'node:crypto';
import { makeCsr, openssl, opensslBytes, opensslVerifiesRequest } from '../../test/support/openssl.js';
import { CsrError, parseCsr } from './csr.js';
import { fromPem } from './der.js';

const sans = { dnsNames: ['node1.site.example.net', 'etcd.site.example.net'], ipAddresses: ['198.18.0.11', '2001:db8::11'] };
const ec = makeCsr({ ...sans, extensions: ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth'] });
const rsa = makeCsr({ key: 'rsa-2048', ...sans });

/** What openssl says the key's fingerprint is: sha256 of the SubjectPublicKeyInfo DER. */
function opensslFingerprint(csr: string): string {
  const publicKey = openssl(['req', '-noout', '-pubkey'], csr);
  const der = opensslBytes(['pkey', '-pubin', '-outform', 'DER'], publicKey);
  return createHash('sha256').update(der).digest('hex');
}

test('an EC P-256 request from openssl req: subject, SANs, usages, key and fingerprint', (t) => {
  const csr = parseCsr(ec.csr);
  t.deepEqual(csr.subject, [{ type: 'CN', value: 'node1' }]);
  t.deepEqual(csr.dnsNames, sans.dnsNames);
  t.deepEqual(csr.ipAddresses, ['198.18.0.11', '2001:db8::11']);
  t.deepEqual(csr.keyUsage, ['digitalSignature']);
  t.deepEqual(csr.extendedKeyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  t.is(csr.basicConstraints, undefined);
  t.deepEqual(csr.unknownExtensions, []);
  t.deepEqual(csr.publicKey.algorithm, { type: 'ec', curve: 'P-256' });
  t.is(csr.publicKey.fingerprint, opensslFingerprint(ec.csr));
});

test('an RSA-2048 request: key size, and DER input reads as PEM does', (t) => {
  const csr = parseCsr(rsa.csr);
  t.deepEqual(csr.publicKey.algorithm, { type: 'rsa', bits: 2048 });
  t.is(csr.publicKey.fingerprint, opensslFingerprint(rsa.csr));
  t.deepEqual(parseCsr(fromPem('CERTIFICATE REQUEST', rsa.csr)!).dnsNames, sans.dnsNames);
});

test('what a request asks beyond names is read, so a policy can refuse it: CA:TRUE, other SAN types, unknown extensions', (t) => {
  const csr = parseCsr(makeCsr({ extensions: ['basicConstraints=critical,CA:TRUE,pathlen:1', 'subjectAltName=email:a@b.example,URI:https://x.example/', 'nsComment=hello'] }).csr);
  t.deepEqual(csr.basicConstraints, { ca: true, pathLength: 1 });
  t.deepEqual(csr.otherNames, ['email:a@b.example', 'URI:https://x.example/']);
  t.deepEqual(csr.unknownExtensions, ['2.16.840.1.113730.1.13']);
});

test('a request changed after it was signed (one byte of a SAN) is refused: CsrBadSignature', (t) => {
  const der = fromPem('CERTIFICATE REQUEST', ec.csr)!;
  const at = der.indexOf('node1.site.example.net');
  t.true(at > 0);
  const tampered = Buffer.from(der);
  tampered[at] = 'm'.charCodeAt(0);
  const error = t.throws(() => parseCsr(tampered), { instanceOf: CsrError });
  t.is(error.code, 'CsrBadSignature');
  // openssl agrees: the untouched request verifies, the changed one does not.
  t.true(opensslVerifiesRequest(der));
  t.false(opensslVerifiesRequest(tampered));
});

test('what is not a request is CsrMalformed, never an exception of another kind', (t) => {
  for (const input of ['hello', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])]) {
    t.is(t.throws(() => parseCsr(input), { instanceOf: CsrError }).code, 'CsrMalformed');
  }
});
