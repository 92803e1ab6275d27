import test from 'ava';
import { readPublicKeyLine } from './ssh-public-key.js';

/** Made with `ssh-keygen -t TYPE [-b BITS]` (public halves only; the private ones were thrown away). */
const REAL = {
  ed25519: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPuiMAJpScnjbGmGUqacCRDldA6m+NIZjelPl4519xZB fixture@underlay.test',
  rsa: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC9SajGgT/qcyHVLwiHkdbREFIW5rw4gsPBVPWcfAP97GnG4a8LLn2YV9PQmWiWtj3cmMO+Yz7PphVA95YkQbwkfbtimn9I5tSFegrsJ+AHnj4qZFnQZZwuYftdqgLXNRmWDMzR/6TF9Xu0OQCjVWi+FLUhF94Ha6G7h6YGvb8YZJrVOAUbFZt1Uv9vsJY2GVDmI5fo5/2rxXF1g/f+7KYkUnDKmd8bcqrvezZ5/wrT9MoAfUGI46/8SMVkHKSw8LbtL1oy98flwUTzzrBoleRvNiH3Jc58Gw31+T/UHfQEqya4t3LFBC7ugQhhqj2A+yYBtI08MRsuMPp7ES733gAN fixture@underlay.test',
  ecdsa256: 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAFNpsw4U6Bbga+RuOmVBYSxSKKPNdiZ0XUx+btbVOJ6bSnmue5W3gWl//QsPeSDsqcVWjRk9d7f2thGRQg1CPE= fixture@underlay.test',
  ecdsa384: 'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBJE0f4qsJ1MANxkZLwJoQE+sIh/F5nxGAsIv56mSFN6J0fCMuKXsPYiGSxY81scBkdtF9b/a9jMacV57RGGANVDNH+GxltLC8hzDMS71nZN3vBaNxNR+RZrIA2bKXhRtuA== fixture@underlay.test',
  ecdsa521: 'ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAHK++iCUzKUKWtmCAsf1d43X2lp+4q77ONsbOzZ845GMN0+5NefAEAPZQAHF6gc5GNAtnKAocsBZT1iTjllzUeIQQBu3keYr0uEPJLoTAkQACNbYFt2LdymTKOuThkNwYXjVRzSuPcbTmvMmfRpcBzWq6+KOw9eqOVKBUEp6cP2zQYNgA== fixture@underlay.test',
  rsa1024: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC6nbgIgqQJTKaAmBahGy17uSZyW3sOcZTfcpAcdQGv8XPPzw0nrpYFkiGYh5zTTxSM+ct5DLtWuymKPJKIquamiw2b2uJDVdlqsusSPdHC6QhQPVlICYHv7fO+RSjudRG/Idgu+XtsOXDkp9NxXs2PhgP0mNfuOrJPOF25Blatpw== fixture@underlay.test',
};

/** A blob built field by field, to make keys that are well framed but wrong inside. */
const field = (bytes: Uint8Array | string): Buffer => {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
};
const line = (type: string, ...fields: Buffer[]): string => `${type} ${Buffer.concat(fields).toString('base64')}`;
const blobOf = (keyLine: string): Buffer => Buffer.from(keyLine.split(' ')[1]!, 'base64');
const problemOf = (keyLine: string): string => {
  const reading = readPublicKeyLine(keyLine);
  return reading.ok ? 'ok' : reading.problem;
};

test('real keys of every pinnable type read as keys of their stated type', (t) => {
  for (const [name, keyLine] of Object.entries(REAL)) {
    const reading = readPublicKeyLine(keyLine);
    t.true(reading.ok, `${name}: ${problemOf(keyLine)}`);
    if (reading.ok) t.deepEqual([reading.type, Buffer.from(reading.blob)], [keyLine.split(' ')[0], blobOf(keyLine)], name);
  }
});

test('a key whose stated type is not the type inside the data', (t) => {
  const data = REAL.ed25519.split(' ')[1]!;
  t.regex(problemOf(`ssh-rsa ${data}`), /says ssh-rsa, but the key data is a "ssh-ed25519" key/);
  t.regex(problemOf(`ecdsa-sha2-nistp256 ${REAL.ecdsa384.split(' ')[1]!}`), /"ecdsa-sha2-nistp384" key/);
});

test('data that is not exactly base64 of a key: garbage, a cut, a changed last character', (t) => {
  t.regex(problemOf('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGarbageGarbageGarbage'), /./);
  t.not(problemOf('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGarbageGarbageGarbage'), 'ok');
  t.regex(problemOf('ssh-ed25519 AAAAB'), /not valid base64/);
  const data = REAL.ed25519.split(' ')[1]!;
  t.regex(problemOf(`ssh-ed25519 ${data.slice(0, -4)}`), /32 bytes/);
  // An ecdsa-sha2-nistp256 blob is 104 bytes: its last base64 character has two unused bits, so a sibling
  // character there decodes to the very same bytes. Such a line was edited, and is refused as not canonical.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const ecdsa = REAL.ecdsa256.split(' ')[1]!;
  t.true(ecdsa.endsWith('='));
  const at = ecdsa.length - 2;
  const sibling = alphabet[alphabet.indexOf(ecdsa[at]!) ^ 1]!;
  const edited = `${ecdsa.slice(0, at)}${sibling}=`;
  t.deepEqual(Buffer.from(edited, 'base64'), Buffer.from(ecdsa, 'base64'));
  t.regex(problemOf(`ecdsa-sha2-nistp256 ${edited}`), /not valid base64/);
  t.regex(problemOf('ssh-ed25519 AAAA'), /does not start with a key type/);
});

test('ed25519 keys are 32 bytes, with nothing after them', (t) => {
  t.regex(problemOf(line('ssh-ed25519', field('ssh-ed25519'), field(new Uint8Array(31)))), /32 bytes/);
  t.regex(problemOf(line('ssh-ed25519', field('ssh-ed25519'), field(new Uint8Array(33)))), /32 bytes/);
  t.is(problemOf(line('ssh-ed25519', field('ssh-ed25519'), field(new Uint8Array(32)))), 'ok');
  t.regex(problemOf(line('ssh-ed25519', field('ssh-ed25519'), field(new Uint8Array(32)), Buffer.from([0]))), /1 bytes after the key/);
});

test('rsa keys have a positive exponent and a modulus OpenSSH would accept', (t) => {
  const e = field(Uint8Array.from([1, 0, 1]));
  const modulus = (bits: number): Buffer => field(Uint8Array.from([0, 0x80, ...new Uint8Array(bits / 8 - 1).fill(0xff)]));
  t.is(problemOf(line('ssh-rsa', field('ssh-rsa'), e, modulus(1024))), 'ok');
  t.regex(problemOf(line('ssh-rsa', field('ssh-rsa'), e, modulus(768))), /768 bits is below the 1024/);
  t.regex(problemOf(line('ssh-rsa', field('ssh-rsa'), e)), /an exponent and a modulus/);
  t.regex(problemOf(line('ssh-rsa', field('ssh-rsa'), field(Uint8Array.from([0x81])), modulus(1024))), /positive/);
  t.regex(problemOf(line('ssh-rsa', field('ssh-rsa'), field(new Uint8Array(0)), modulus(1024))), /positive/);
});

test('ecdsa keys name their curve and hold an uncompressed point of its size', (t) => {
  const point = (size: number, prefix = 4): Buffer => field(Uint8Array.from([prefix, ...new Uint8Array(2 * size).fill(7)]));
  t.is(problemOf(line('ecdsa-sha2-nistp256', field('ecdsa-sha2-nistp256'), field('nistp256'), point(32))), 'ok');
  t.regex(problemOf(line('ecdsa-sha2-nistp256', field('ecdsa-sha2-nistp256'), field('nistp384'), point(32))), /names its curve nistp256, not "nistp384"/);
  t.regex(problemOf(line('ecdsa-sha2-nistp384', field('ecdsa-sha2-nistp384'), field('nistp384'), point(32))), /two 48-byte coordinates/);
  t.regex(problemOf(line('ecdsa-sha2-nistp521', field('ecdsa-sha2-nistp521'), field('nistp521'), point(66, 2))), /0x04/);
});
