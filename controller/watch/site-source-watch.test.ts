/**
 * A site's source watched by where it lives (a local path: chokidar; an http remote: the poll), and a
 * polled push followed through as the daemon would: read the revision, then check its signature in the
 * fetch cache. Real git, a real `git http-backend`, real ssh-keygen keys; the poll's rounds run when the
 * test moves time.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gitDirOf, readRevision, SourceError } from '../source/git-source.js';
import { verifyCommitSignature } from './commit-signature.js';
import { watchSiteSource } from './site-source-watch.js';
import { startGitHttpBackend } from '../../test/support/git-http-backend.js';
import { manualTime } from '../../test/support/manual-timers.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

test('a local path is watched: a commit reaches onChange without any timer', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const time = manualTime();
  let changed!: (how: string) => void;
  const seen = new Promise<string>((resolve) => (changed = resolve));
  const w = await watchSiteSource({ repo: dir, pollEvery: 60_000, timers: time.timers, random: Math.random }, (how) => changed(how));
  t.teardown(() => w.close());
  writeFiles(dir, { 'site.yaml': 'v: 2\n' });
  commitAll(dir, 'edit');
  t.is(await seen, 'watch');
  t.is(await gitDirOf({ repo: dir, cacheDir: tempDir() }), path.join(dir, '.git'));
});

test('an http remote is polled; the pushed commit is read and its signature checked in the fetch cache', async (t) => {
  const keys = tempDir('underlay-signers-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ops', '-f', path.join(keys, 'ops')]);
  const allowedSigners = path.join(keys, 'allowed_signers');
  writeFileSync(allowedSigners, `ops@example.invalid ${readFileSync(path.join(keys, 'ops.pub'), 'utf8')}`);
  const { dir: work } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const root = tempDir('underlay-served-');
  const bare = path.join(root, 'site.git');
  git(root, 'clone', '-q', '--bare', work, bare);
  const server = await startGitHttpBackend(root);
  t.teardown(() => server.close());
  const repo = `${server.url}/site.git`;
  const cacheDir = tempDir('underlay-cache-');
  const first = await readRevision({ repo, ref: 'main', cacheDir });

  const time = manualTime();
  const changes: string[] = [];
  const w = await watchSiteSource({ repo, ref: 'main', pollEvery: 60_000, timers: time.timers, random: () => 0.5, since: first.commit }, (how) => changes.push(how));
  t.teardown(() => w.close());
  writeFiles(work, { 'site.yaml': 'v: 2\n' });
  git(work, 'add', '-A');
  git(work, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${path.join(keys, 'ops')}`, 'commit', '-q', '-S', '-m', 'signed');
  git(work, 'push', '-q', bare, 'main');
  for (let i = 0; i < 10_000 && time.pending().length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
  await time.advance(60_000);
  t.deepEqual(changes, ['poll']);

  const next = await readRevision({ repo, ref: 'main', cacheDir });
  t.is(next.commit, git(work, 'rev-parse', 'HEAD'));
  const verdict = await verifyCommitSignature({ gitDir: await gitDirOf({ repo, ref: 'main', cacheDir }), commit: next.commit, allowedSigners });
  t.like(verdict, { verified: true, signer: 'ops@example.invalid' });
  const unsigned = await verifyCommitSignature({ gitDir: await gitDirOf({ repo, ref: 'main', cacheDir }), commit: first.commit, allowedSigners });
  t.false(unsigned.verified);
});

test('a source that is neither a path nor a usable URL is refused at once', async (t) => {
  const time = manualTime();
  const err = await t.throwsAsync(watchSiteSource({ repo: 'ftp://example.invalid/site.git', pollEvery: 1000, timers: time.timers, random: Math.random }, () => undefined), { instanceOf: SourceError });
  t.is(err?.code, 'InvalidRepoUrl');
  const missing = await t.throwsAsync(watchSiteSource({ repo: path.join(tempDir(), 'nope'), pollEvery: 1000, timers: time.timers, random: Math.random }, () => undefined), { instanceOf: SourceError });
  t.is(missing?.code, 'RepoNotFound');
});
