/**
 * The poll's ref listing over SSH, against a real sshd that behaves like a hosting service (git-shell), with
 * the server's key pinned in known_hosts: one `git-upload-pack` channel per round, no objects fetched.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { openRemote } from '../source/git-source.js';
import { SourceError } from '../source/source-error.js';
import { remoteRefResolver } from './remote-ref.js';
import { startGitSshServer } from '../../test/support/git-ssh-server.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

test('over SSH: the ref is read from the advertisement of one upload-pack channel, and a push moves it', async (t) => {
  const server = await startGitSshServer();
  t.teardown(() => server.stop());
  const { dir: work, commit: first } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const root = tempDir('underlay-served-');
  const bare = path.join(root, 'site.git');
  git(root, 'clone', '-q', '--bare', work, bare);
  const knownHostsFile = path.join(root, 'known_hosts');
  await writeFile(knownHostsFile, `${server.knownHostsLine}\n`);
  const ssh = { knownHostsFile, privateKey: () => readFile(server.client.privateKeyPath) };
  const resolve = remoteRefResolver(await openRemote({ repo: server.url(bare), ref: 'main', ssh }), 'main');

  t.is(await resolve(), first);
  writeFiles(work, { 'site.yaml': 'v: 2\n' });
  const second = commitAll(work, 'edit');
  git(work, 'push', '-q', bare, 'main');
  t.is(await resolve(), second);
  t.deepEqual(server.commands(), [`git-upload-pack '${bare}'`, `git-upload-pack '${bare}'`], 'one advertisement per round, never a pack');
});

test('over SSH: a server whose key is not pinned is refused before anything is listed', async (t) => {
  const server = await startGitSshServer();
  t.teardown(() => server.stop());
  const root = tempDir('underlay-served-');
  const knownHostsFile = path.join(root, 'known_hosts');
  await writeFile(knownHostsFile, '');
  const ssh = { knownHostsFile, privateKey: () => readFile(server.client.privateKeyPath) };
  const resolve = remoteRefResolver(await openRemote({ repo: server.url(path.join(root, 'site.git')), ref: 'main', ssh }), 'main');
  const err = await t.throwsAsync(resolve(), { instanceOf: SourceError });
  t.is(err?.code, 'HostKeyUnknown');
  t.deepEqual(server.commands(), []);
});

test('openRemote refuses a local path and an unusable URL', async (t) => {
  t.is((await t.throwsAsync(openRemote({ repo: '/srv/site' }), { instanceOf: SourceError }))?.code, 'InvalidRepoUrl');
  t.is((await t.throwsAsync(openRemote({ repo: 'ftp://example.invalid/site.git' }), { instanceOf: SourceError }))?.code, 'InvalidRepoUrl');
});
