import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openssl } from '../../../test/support/openssl.js';
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
