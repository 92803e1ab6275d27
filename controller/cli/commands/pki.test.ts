import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeCsr, openssl } from '../../../test/support/openssl.js';
import { systemClock } from '../../clock.js';
import { CertificateAuthority } from '../../pki/certificate-authority.js';
import { systemRandom } from '../../pki/certificate-builder.js';
import { DEFAULT_ISSUANCE_POLICY } from '../../pki/policy.js';
import { SqliteStore, stateDatabaseFile } from '../../store/sqlite-store.js';
import { main } from '../main.js';

const work = mkdtempSync(path.join(tmpdir(), 'underlay-pki-init-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd: work, env: {} });
  return { code, stdout, stderr };
}

test('pki init: the key into the secret store (0600, PKCS#8), a CA certificate to commit, the document to write', async (t) => {
  const secrets = path.join(work, 'secrets');
  const result = await cli(['pki', 'init', '--ca', 'site', '--secrets-dir', secrets, '--key-type', 'rsa-2048', '--validity-days', '400']);
  t.is(result.code, 0, result.stderr);
  const key = path.join(secrets, 'site-ca-key');
  t.is(statSync(key).mode & 0o777, 0o600);
  t.regex(readFileSync(key, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  const certificate = readFileSync(path.join(work, 'site-ca.pem'), 'utf8');
  t.notRegex(certificate, /PRIVATE KEY/);
  const text = openssl(['x509', '-noout', '-text'], certificate);
  t.regex(text, /Subject: CN ?= ?site CA/);
  t.regex(text, /CA:TRUE, pathlen:0/);
  t.regex(text, /Public-Key: \(2048 bit\)/);
  // The stored key is the certificate's key.
  t.is(openssl(['x509', '-noout', '-pubkey'], certificate), openssl(['pkey', '-pubout', '-in', key]));
  t.regex(result.stdout, /certificateFile: site-ca\.pem/);
  t.regex(result.stdout, /keySecret: site-ca-key/);
});

test('pki init never overwrites: an existing key secret or certificate file is an error, and leaves no half CA', async (t) => {
  const secrets = path.join(work, 'secrets-2');
  t.is((await cli(['pki', 'init', '--ca', 'a', '--secrets-dir', secrets])).code, 0);
  const before = readFileSync(path.join(secrets, 'a-ca-key'), 'utf8');
  const again = await cli(['pki', 'init', '--ca', 'a', '--secrets-dir', secrets, '--out', 'other.pem']);
  t.is(again.code, 1);
  t.regex(again.stderr, /exists already; it is never overwritten/);
  t.false(existsSync(path.join(work, 'other.pem')), 'the certificate of the refused CA is removed again');
  t.is(readFileSync(path.join(secrets, 'a-ca-key'), 'utf8'), before);
  const sameFile = await cli(['pki', 'init', '--ca', 'b', '--secrets-dir', secrets, '--out', 'a-ca.pem']);
  t.is(sameFile.code, 1);
  t.regex(sameFile.stderr, /a-ca\.pem exists already/);
  t.false(existsSync(path.join(secrets, 'b-ca-key')));
});

test('pki crl: the serials the store revoked for the CA, signed by it; openssl verify -crl_check refuses a revoked certificate', async (t) => {
  const secrets = path.join(work, 'secrets-crl');
  const state = path.join(work, 'state-crl');
  const repo = path.join(work, 'repo-crl');
  mkdirSync(path.join(repo, 'ca'), { recursive: true });
  t.is((await cli(['pki', 'init', '--ca', 'lab', '--secrets-dir', secrets, '--out', path.join(repo, 'ca', 'lab-ca.pem')])).code, 0);
  const caPem = readFileSync(path.join(repo, 'ca', 'lab-ca.pem'), 'utf8');
  writeFileSync(path.join(repo, 'ca', 'lab.yaml'), 'apiVersion: underlay.dev/v1alpha1\nkind: CertificateAuthority\nmetadata:\n  name: lab\nspec:\n  certificateFile: lab-ca.pem\n  keySecret: lab-ca-key\n');
  for (const args of [['init', '-q'], ['add', '.'], ['-c', 'user.name=t', '-c', 'user.email=t@example.net', 'commit', '-qm', 'ca']]) execFileSync('git', args, { cwd: repo });

  // Two certificates of n1, the first revoked (superseded) when the second is installed.
  const ca = new CertificateAuthority({ certificatePem: caPem, key: createPrivateKey(readFileSync(path.join(secrets, 'lab-ca-key'))), policy: DEFAULT_ISSUANCE_POLICY, clock: systemClock, random: systemRandom });
  const store = SqliteStore.open({ file: stateDatabaseFile(state), site: 'default', clock: systemClock });
  const issued = store.issuedCertificates();
  const pems: string[] = [];
  for (let i = 0; i < 2; i++) {
    const result = ca.sign({
      csr: makeCsr({ subject: '/CN=n1', dnsNames: ['n1'] }).csr,
      declared: { commonName: 'n1', dnsNames: ['n1'], ipAddresses: [], usages: ['server'], validityDays: 30 },
      entitlement: { node: 'n1', addresses: [], zoneNames: [], clusterNames: [] },
    });
    if (!result.issued) throw new Error('refused');
    await issued.recordIssued({ serial: result.certificate.serial, authority: 'lab', node: 'n1', certificate: 'web', notAfter: result.certificate.notAfter.toISOString(), fingerprint: result.certificate.fingerprint });
    await issued.markInstalled(result.certificate.serial);
    pems.push(result.certificate.pem);
  }
  await store.close();

  const out = path.join(work, 'lab.crl.pem');
  const result = await cli(['pki', 'crl', '--ca', 'lab', '--repo', repo, '--state-dir', state, '--secrets-dir', secrets, '--out', out]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /1 revoked serial\(s\)/);
  const crl = readFileSync(out, 'utf8');
  t.regex(openssl(['crl', '-noout', '-text'], crl), new RegExp(`Serial Number: ${serialOf(pems[0]!)}`));
  const verify = (pem: string) => spawnSync('openssl', ['verify', '-crl_check', '-CAfile', path.join(repo, 'ca', 'lab-ca.pem'), '-CRLfile', out], { input: pem, encoding: 'utf8' });
  t.regex(verify(pems[0]!).stdout + verify(pems[0]!).stderr, /certificate revoked/);
  t.is(verify(pems[1]!).status, 0, verify(pems[1]!).stderr);
});

function serialOf(pem: string): string {
  return openssl(['x509', '-noout', '-serial'], pem).trim().replace(/^serial=/, '');
}
