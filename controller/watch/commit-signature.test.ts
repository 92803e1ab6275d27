/**
 * Commit signatures with real keys from `ssh-keygen`, commits signed by the real `git -c gpg.format=ssh
 * commit -S`, and forged commit objects written with `git hash-object`.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { verifyCommitSignature } from './commit-signature.js';
import { splitSignedCommit } from './signed-commit.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

const keys = tempDir('underlay-signers-');

function sshKey(name: string): { file: string; pub: string; fingerprint: string } {
  const file = path.join(keys, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim(), fingerprint };
}

const alice = sshKey('alice');
const mallory = sshKey('mallory');

function allowedSigners(lines: string[]): string {
  const file = path.join(tempDir('underlay-allowed-'), 'allowed_signers');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const allowed = allowedSigners([`alice@example.invalid ${alice.pub}`]);

function signedCommit(dir: string, key: string, message: string, extra: string[] = []): string {
  writeFiles(dir, { 'site.yaml': `${message}\n` });
  git(dir, 'add', '-A');
  git(dir, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`, ...extra, 'commit', '-q', '-S', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** Writes a commit object of our own making (a forgery) and returns its id. */
function writeCommitObject(dir: string, raw: Buffer): string {
  return execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: dir, input: raw, encoding: 'utf8' }).trim();
}

const rawCommit = (dir: string, oid: string): Buffer => execFileSync('git', ['cat-file', 'commit', oid], { cwd: dir });

test('a commit signed by an allowed key is verified, with its principal and key', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const commit = signedCommit(dir, alice.file, 'signed by alice');
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit, allowedSigners: allowed });
  t.deepEqual(verdict, { verified: true, signer: 'alice@example.invalid', key: alice.fingerprint });
});

test('an unsigned commit is refused', async (t) => {
  const { dir, commit } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit, allowedSigners: allowed });
  t.deepEqual(verdict, { verified: false, reason: `commit ${commit}: is not signed` });
});

test('a commit signed by a key the allowed signers do not list is refused, naming that key', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const commit = signedCommit(dir, mallory.file, 'signed by mallory');
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit, allowedSigners: allowed });
  t.false(verdict.verified);
  if (!verdict.verified) t.regex(verdict.reason, new RegExp(`is signed by ED25519 key ${mallory.fingerprint.replace(/[+/]/g, '\\$&')}, which .* does not allow`));
});

test('a key past its valid-before is refused, also for a commit back-dated to when it was valid', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  writeFiles(dir, { 'site.yaml': 'v: 2\n' });
  git(dir, 'add', '-A');
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.invalid', GIT_AUTHOR_DATE: '2019-06-01T00:00:00Z', GIT_COMMITTER_DATE: '2019-06-01T00:00:00Z' };
  execFileSync('git', ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${alice.file}`, 'commit', '-q', '-S', '-m', 'back-dated'], { cwd: dir, env });
  const commit = git(dir, 'rev-parse', 'HEAD');
  const expired = allowedSigners([`alice@example.invalid valid-before="20200101" ${alice.pub}`]);
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit, allowedSigners: expired });
  t.false(verdict.verified);
  if (!verdict.verified) t.regex(verdict.reason, /expired/);
  const then = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit, allowedSigners: expired, at: new Date('2019-12-31T00:00:00Z') });
  t.true(then.verified, 'validity is judged at the time the caller gives');
});

test("a commit whose content was changed under alice's signature is refused", async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const signed = signedCommit(dir, alice.file, 'deploy v2');
  const forged = writeCommitObject(dir, Buffer.from(rawCommit(dir, signed).toString('latin1').replace('deploy v2', 'deploy v3'), 'latin1'));
  t.not(forged, signed);
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit: forged, allowedSigners: allowed });
  t.false(verdict.verified);
  if (!verdict.verified) t.regex(verdict.reason, /does not verify against its content/);
});

test('an OpenPGP-signed commit is refused as not SSH', async (t) => {
  const { dir, commit } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const raw = rawCommit(dir, commit).toString('latin1');
  const withPgp = raw.replace(/\n\n/, '\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\n');
  const forged = writeCommitObject(dir, Buffer.from(withPgp, 'latin1'));
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit: forged, allowedSigners: allowed });
  t.deepEqual(verdict, { verified: false, reason: `commit ${forged}: is signed with OpenPGP; only SSH signatures are verified` });
});

test('a message in another encoding than UTF-8 is checked byte for byte', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const messageFile = path.join(tempDir(), 'message');
  writeFileSync(messageFile, Buffer.from('d\xe9ploiement\n', 'latin1'));
  writeFiles(dir, { 'site.yaml': 'v: 2\n' });
  git(dir, 'add', '-A');
  git(dir, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${alice.file}`, '-c', 'i18n.commitEncoding=ISO-8859-1', 'commit', '-q', '-S', '-F', messageFile);
  const commit = git(dir, 'rev-parse', 'HEAD');
  t.true(rawCommit(dir, commit).includes(Buffer.from([0xe9])), 'the object holds the latin1 byte');
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit, allowedSigners: allowed });
  t.true(verdict.verified);
});

test('a signature by an allowed key, read from a bare repository after gc packed it', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const commit = signedCommit(dir, alice.file, 'packed');
  const bare = path.join(tempDir('underlay-bare-'), 'site.git');
  git(dir, 'clone', '-q', '--bare', dir, bare);
  git(bare, 'gc', '-q');
  t.true((await verifyCommitSignature({ gitDir: bare, commit, allowedSigners: allowed })).verified);
});

test('when the check cannot run, the commit is refused (fails closed)', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const commit = signedCommit(dir, alice.file, 'ok');
  const missing = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit, allowedSigners: path.join(keys, 'nope') });
  t.false(missing.verified);
  if (!missing.verified) t.regex(missing.reason, /allowed signers file .*nope cannot be read \(ENOENT\)/);
  const absent = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit: 'f'.repeat(40), allowedSigners: allowed });
  t.false(absent.verified);
});

test('splitSignedCommit removes the signature header and its continuation lines, and nothing else', (t) => {
  const raw = Buffer.from(
    'tree 1\nparent 2\nauthor a <a> 1 +0000\ncommitter c <c> 1700000000 +0100\ngpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\nmergetag object 3\n type commit\n\nmessage\n\nbody\n',
  );
  const split = splitSignedCommit(raw);
  t.is(split.signature, '-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n');
  t.is(split.payload.toString(), 'tree 1\nparent 2\nauthor a <a> 1 +0000\ncommitter c <c> 1700000000 +0100\nmergetag object 3\n type commit\n\nmessage\n\nbody\n');
  t.is(splitSignedCommit(Buffer.from('tree 1\ncommitter c <c> 5 +0000\n\nm\n')).signature, undefined);
});

test('a later unsigned commit on top of a signed one is refused: each revision is checked on its own', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  signedCommit(dir, alice.file, 'signed');
  writeFiles(dir, { 'site.yaml': 'v: 3\n' });
  const head = commitAll(dir, 'unsigned on top');
  const verdict = await verifyCommitSignature({ gitDir: path.join(dir, '.git'), commit: head, allowedSigners: allowed });
  t.false(verdict.verified);
});
