import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { blobType, fingerprint, formatHostKey, parseHostKey } from './host-key.js';
import { makeKeyPair, tempDir } from '../../test/support/sshd.js';

const run = promisify(execFile);

for (const type of ['ed25519', 'ecdsa', 'rsa']) {
  test(`fingerprint equals ssh-keygen -l for ${type}`, async (t) => {
    const pair = await makeKeyPair(await tempDir(), `k-${type}`, type);
    const { stdout } = await run('ssh-keygen', ['-l', '-f', `${pair.privateKeyPath}.pub`]);
    const key = parseHostKey(pair.publicKey);
    t.is(fingerprint(key.blob), stdout.split(' ')[1] ?? '');
    t.is(key.comment, `k-${type}`);
    t.is(formatHostKey(key.blob, key.comment ?? ''), (await readFile(`${pair.privateKeyPath}.pub`, 'utf8')).trim());
  });
}

test('accepts ssh-keyscan and known_hosts style lines', async (t) => {
  const pair = await makeKeyPair(await tempDir(), 'k');
  const [type, data] = pair.publicKey.split(' ');
  const key = parseHostKey(`[10.0.0.5]:2222 ${type} ${data}`);
  t.is(key.type, 'ssh-ed25519');
  t.is(blobType(key.blob), 'ssh-ed25519');
  t.is(key.comment, undefined);
});

test('rejects a type label that disagrees with the key data, and garbage', async (t) => {
  const pair = await makeKeyPair(await tempDir(), 'k');
  const data = pair.publicKey.split(' ')[1];
  t.throws(() => parseHostKey(`ssh-rsa ${data}`), { message: /does not match/ });
  t.throws(() => parseHostKey('ssh-ed25519 not*base64'), { message: /base64/ });
  t.throws(() => parseHostKey('hello world'), { message: /not an OpenSSH public key/ });
  t.throws(() => parseHostKey(''));
});
