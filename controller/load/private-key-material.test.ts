import test from 'ava';
import { ENCRYPTED, kubeconfig, pem, PRIVATE, PUBLIC, pseudoRandom } from '../../test/support/key-material.js';
import { findPrivateKeyMaterial, inDecodedBase64, looksLikeBase64 } from './private-key-material.js';

const whats = (text: string): string[] => findPrivateKeyMaterial(text).map((m) => m.what);
/** Where each form is reported: its first line, or the line that makes it a key. */
const START: Partial<Record<keyof typeof PRIVATE, string>> = { age: 'AGE-SECRET-KEY-1', jwk: '"d"' };

for (const [form, text] of Object.entries(PRIVATE)) {
  test(`${form}: found where it starts, in a file of its own and inside other text`, (t) => {
    t.is(findPrivateKeyMaterial(text)[0]?.index, text.indexOf(START[form as keyof typeof PRIVATE] ?? text[0]!));
    const embedded = `notes\n\n    ${text.replaceAll('\n', '\n    ')}\nmore notes\n`;
    t.is(findPrivateKeyMaterial(embedded).length, 1);
  });

  test(`${form}: found when base64-encoded, as a Kubernetes Secret holds it`, (t) => {
    const encoded = Buffer.from(text).toString('base64');
    const secret = `apiVersion: v1\nkind: Secret\ndata:\n  key: ${encoded}\n`;
    t.deepEqual(findPrivateKeyMaterial(secret).map((m) => m.index), [secret.indexOf(encoded)]);
    t.regex(whats(secret)[0]!, /base64-encoded$/);
    // Wrapped at 76 columns and indented, as `base64` and a YAML block scalar write it.
    const wrapped = `data: |\n  ${(encoded.match(/.{1,76}/g) ?? []).join('\n  ')}\n`;
    t.is(findPrivateKeyMaterial(wrapped).length, 1);
  });
}

test('each form is named in the finding', (t) => {
  t.deepEqual(whats(PRIVATE.rsa), ['a private key (-----BEGIN RSA PRIVATE KEY-----)']);
  t.deepEqual(whats(PRIVATE.ssh2), ['a private key (---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----)']);
  t.deepEqual(whats(PRIVATE.pgp), ['an OpenPGP private key block']);
  t.deepEqual(whats(PRIVATE.ppk), ['a PuTTY private key file (.ppk)']);
  t.deepEqual(whats(PRIVATE.age), ['an age secret key']);
  t.deepEqual(whats(PRIVATE.jwk), ['a JSON Web Key with its private member "d"']);
});

test('a kubeconfig client key is one finding, not also the base64 it holds', (t) => {
  const config = kubeconfig(`      client-certificate-data: ${Buffer.from(pem('CERTIFICATE', 'c')).toString('base64')}\n      client-key-data: ${Buffer.from(PRIVATE.ec).toString('base64')}\n`);
  const found = findPrivateKeyMaterial(config);
  t.deepEqual(found, [{ index: config.indexOf('client-key-data'), what: 'a kubeconfig client key (client-key-data)' }]);
  // JSON kubeconfig (kubectl config view -o json).
  t.deepEqual(whats(`{"users":[{"user":{"client-key-data":"${Buffer.from('not even a key, still its place').toString('base64')}"}}]}`), [
    'a kubeconfig client key (client-key-data)',
  ]);
});

test('a JWK written as YAML is found; its private member must have a key type close by', (t) => {
  t.is(findPrivateKeyMaterial(`jwk:\n  kty: OKP\n  crv: Ed25519\n  x: ${pseudoRandom(32, 'x').toString('base64url')}\n  d: ${pseudoRandom(32, 'd').toString('base64url')}\n`).length, 1);
  t.deepEqual(findPrivateKeyMaterial(`d: ${pseudoRandom(32, 'd').toString('base64url')}\n`), [], 'a lone "d" is not a JWK');
  t.deepEqual(findPrivateKeyMaterial(`kty: oct\nid: ${pseudoRandom(32, 'd').toString('base64url')}\n`), [], 'nor is a key ending in d');
});

test('an OpenSSH key whose armour was stripped is found in its base64 body', (t) => {
  const blob = Buffer.concat([Buffer.from('openssh-key-v1\0'), pseudoRandom(200)]).toString('base64');
  t.deepEqual(whats(`key: ${blob}\n`), ['an OpenSSH private key, base64-encoded']);
});

test('a UTF-16 key hidden in base64 is found and says so', (t) => {
  t.is(inDecodedBase64(Buffer.from(`\ufeff${PRIVATE.pkcs8}`, 'utf16le').toString('base64')), 'a private key (-----BEGIN PRIVATE KEY-----), base64-encoded UTF-16LE');
  t.is(inDecodedBase64(Buffer.from(PRIVATE.pkcs8, 'utf16le').toString('base64')), 'a private key (-----BEGIN PRIVATE KEY-----), base64-encoded UTF-16LE');
});

for (const [form, text] of Object.entries(PUBLIC)) {
  test(`${form}: public material is not a private key, nor is its base64`, (t) => {
    t.deepEqual(findPrivateKeyMaterial(text), []);
    t.deepEqual(findPrivateKeyMaterial(`value: ${Buffer.from(text).toString('base64')}\n`), []);
  });
}

test('files encrypted by age or SOPS stay allowed', (t) => {
  t.deepEqual(findPrivateKeyMaterial(ENCRYPTED.ageArmoured), []);
  t.deepEqual(findPrivateKeyMaterial(ENCRYPTED.ageBinary.toString('latin1')), []);
  t.deepEqual(findPrivateKeyMaterial(ENCRYPTED.sopsJson), []);
  const sopsKubeconfig = kubeconfig(`      client-key-data: ENC[AES256_GCM,data:${pseudoRandom(900).toString('base64')},iv:${pseudoRandom(32).toString('base64')},type:str]\n`);
  t.deepEqual(findPrivateKeyMaterial(sopsKubeconfig), []);
});

test('only base64 of plausible length, and nothing else, counts as a base64 value', (t) => {
  t.true(looksLikeBase64('A'.repeat(64)));
  t.true(looksLikeBase64(`${'QUJD'.repeat(16)}\n${'QUJD'.repeat(4)}==`));
  t.false(looksLikeBase64('A'.repeat(63)));
  t.false(looksLikeBase64(`${'A'.repeat(64)}!`));
  t.false(looksLikeBase64(`ENC[AES256_GCM,data:${'A'.repeat(64)}]`));
});
