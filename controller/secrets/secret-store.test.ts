import test from 'ava';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DirectorySecretStore, SecretError } from './secret-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'underlay-secrets-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const store = new DirectorySecretStore(dir);

test('a 0600 secret file is returned by name', async (t) => {
  writeFileSync(path.join(dir, 'ssh-client-key'), 'key', { mode: 0o600 });
  t.is(await store.file('ssh-client-key'), path.join(dir, 'ssh-client-key'));
});

test('a secret readable by others is refused, naming the mode', async (t) => {
  writeFileSync(path.join(dir, 'open-key'), 'key');
  chmodSync(path.join(dir, 'open-key'), 0o644);
  const error = await t.throwsAsync(store.file('open-key'), { instanceOf: SecretError });
  t.is(error?.code, 'SecretTooOpen');
  t.regex(error?.message ?? '', /0644/);
});

test('names that could leave the directory are refused before any file is looked at', async (t) => {
  for (const name of ['../etc/shadow', '/etc/shadow', 'a/b', '', '.hidden']) {
    const error = await t.throwsAsync(store.file(name), { instanceOf: SecretError });
    t.is(error?.code, 'InvalidSecretName', name);
  }
});

test('a missing secret names the file it looked for', async (t) => {
  const error = await t.throwsAsync(store.file('tsig-key'), { instanceOf: SecretError });
  t.is(error?.code, 'SecretNotFound');
  t.true(error?.message.includes(path.join(dir, 'tsig-key')));
});

test('a new secret is stored 0600 and never over an existing one', async (t) => {
  const nested = new DirectorySecretStore(path.join(dir, 'new-store'));
  const file = await nested.create('ca-key', 'first');
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(await nested.file('ca-key'), file);
  const error = await t.throwsAsync(nested.create('ca-key', 'second'), { instanceOf: SecretError });
  t.is(error?.code, 'SecretExists');
  t.is(readFileSync(file, 'utf8'), 'first');
  t.deepEqual(readdirSync(path.dirname(file)), ['ca-key'], 'no temporary file is left behind');
  t.is((await t.throwsAsync(nested.create('../escape', 'x'), { instanceOf: SecretError }))?.code, 'InvalidSecretName');
});

test('a site\'s digest key is made once, 0600, shared by concurrent first uses, and no Git name can reach it', async (t) => {
  const keys = new DirectorySecretStore(path.join(dir, 'digest-store'));
  const [a, b] = await Promise.all([keys.digestKey('lab'), keys.digestKey('lab')]);
  t.is(a.length, 32);
  t.deepEqual(a, b, 'two first uses agree on one key');
  t.deepEqual(await keys.digestKey('lab'), a, 'kept');
  t.notDeepEqual(await keys.digestKey('other-site'), a, 'one per site');
  t.is(statSync(path.join(keys.dir, '_digest-key.lab')).mode & 0o777, 0o600);
  t.deepEqual(readdirSync(keys.dir).sort(), ['_digest-key.lab', '_digest-key.other-site']);
  t.is((await t.throwsAsync(keys.read('_digest-key.lab'), { instanceOf: SecretError }))?.code, 'InvalidSecretName');
  writeFileSync(path.join(keys.dir, '_digest-key.short'), 'x', { mode: 0o600 });
  t.is((await t.throwsAsync(keys.digestKey('short'), { instanceOf: SecretError }))?.code, 'DigestKeyInvalid');
});

test('a secret is read as bytes, checked as its file is', async (t) => {
  writeFileSync(path.join(dir, 'join-token'), Buffer.from([0, 255, 10]), { mode: 0o600 });
  t.deepEqual(await store.read('join-token'), Buffer.from([0, 255, 10]));
  writeFileSync(path.join(dir, 'open-token'), 'x', { mode: 0o644 });
  chmodSync(path.join(dir, 'open-token'), 0o644);
  t.is((await t.throwsAsync(store.read('open-token'), { instanceOf: SecretError }))?.code, 'SecretTooOpen');
});

test('values: the text of every usable secret, for redaction; none for a store that does not exist', async (t) => {
  const own = mkdtempSync(path.join(tmpdir(), 'underlay-values-'));
  t.teardown(() => rmSync(own, { recursive: true, force: true }));
  writeFileSync(path.join(own, 'api-token'), 'tok-1\n', { mode: 0o600 });
  writeFileSync(path.join(own, 'hook'), 'hook-2', { mode: 0o600 });
  writeFileSync(path.join(own, 'open'), 'open-3', { mode: 0o644 });
  t.deepEqual((await new DirectorySecretStore(own).values()).sort(), ['hook-2', 'tok-1\n']);
  t.deepEqual(await new DirectorySecretStore(path.join(own, 'missing')).values(), []);
});
