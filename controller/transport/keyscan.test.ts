import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keyscan } from './keyscan.js';
import { SshTransport } from './ssh-transport.js';
import { freePort, makeKeyPair, startSshd, tempDir, type KeyPair, type TestSshd } from '../../test/support/sshd.js';

const run = promisify(execFile);
let sshd: TestSshd;
let inner: TestSshd;
let client: KeyPair;

test.before(async () => {
  client = await makeKeyPair(await tempDir(), 'id_ed25519');
  [sshd, inner] = await Promise.all([
    startSshd({ authorizedKeys: [client.publicKey] }),
    startSshd({ authorizedKeys: [client.publicKey] }),
  ]);
});

test.after.always(async () => {
  await Promise.all([sshd?.stop(), inner?.stop()]);
});

async function keygenFingerprint(path: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-f', path]);
  return stdout.split(' ')[1] ?? '';
}

test.serial('keyscan returns the offered key and the fingerprint ssh-keygen -l prints', async (t) => {
  const from = sshd.log().length;
  const scanned = await keyscan({ address: '127.0.0.1', port: sshd.port });
  const [type, data] = sshd.hostKey.split(' ');
  t.is(scanned.type, type ?? '');
  t.is(scanned.key, `${type} ${data}`);
  t.is(scanned.fingerprint, await keygenFingerprint(`${sshd.hostKeyPath}.pub`));
  await new Promise((r) => setTimeout(r, 200));
  t.notRegex(sshd.log().slice(from), /userauth|Accepted/i, 'keyscan never authenticates');
});

test.serial('keyscan through a pinned jump host', async (t) => {
  const tr = new SshTransport({ auth: { type: 'key-file', path: client.privateKeyPath } });
  try {
    const scanned = await tr.scanHostKey({
      name: 'new-node',
      address: '127.0.0.1',
      port: inner.port,
      via: sshd.endpoint('bastion'),
    });
    t.is(scanned.fingerprint, await keygenFingerprint(`${inner.hostKeyPath}.pub`));
  } finally {
    await tr.close();
  }
});

test.serial('keyscan of a closed port fails with its own code and a message naming the target', async (t) => {
  const port = await freePort();
  await t.throwsAsync(keyscan({ address: '127.0.0.1', port, timeoutMs: 1_000 }), {
    code: 'KeyscanFailed',
    message: new RegExp(`127\\.0\\.0\\.1:${port}`),
  });
});
