import test from 'ava';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readPublicKey } from './public-key.js';

const spkiOf = (key: ReturnType<typeof generateKeyPairSync>['publicKey']): Buffer => key.export({ format: 'der', type: 'spki' });

test('EC and RSA keys read as JWK are the same keys, with the type and size node:crypto reports', (t) => {
  const keys = [
    [generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, { type: 'ec', curve: 'P-256' }],
    [generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, { type: 'ec', curve: 'P-384' }],
    [generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, { type: 'rsa', bits: 2048 }],
    [generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 3 }).publicKey, { type: 'rsa', bits: 1024 }],
    [generateKeyPairSync('ed25519').publicKey, { type: 'other', name: 'ed25519' }],
  ] as const;
  for (const [key, algorithm] of keys) {
    const spki = spkiOf(key);
    const read = readPublicKey(spki);
    t.deepEqual(read.algorithm, algorithm);
    t.true(spkiOf(read.key).equals(spki));
    t.true(spkiOf(createPublicKey({ key: spki, format: 'der', type: 'spki' })).equals(spki));
  }
});

test('an EC point that is not on its curve is refused, as the DER decoder refuses it', (t) => {
  const spki = spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  const bad = Buffer.from(spki);
  bad.writeUInt8(bad.at(-1)! ^ 1, bad.length - 1);
  t.throws(() => readPublicKey(bad));
  t.throws(() => createPublicKey({ key: bad, format: 'der', type: 'spki' }));
});
