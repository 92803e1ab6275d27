import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { readRevision, SourceError } from './git-source.js';
import * as fs from 'node:fs';
import http from 'isomorphic-git/http/node';
import { cachePathFor, httpRemote, syncRemote } from './remote-cache.js';
import { startGitHttpBackend, type GitHttpServer } from '../../test/support/git-http-backend.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

interface Remote {
  server: GitHttpServer;
  /** Where commits are made before being pushed to the served bare repository. */
  work: string;
  bare: string;
  url: string;
  first: string;
}

async function remote(files: Record<string, string> = { 'site.yaml': 'v: 1\n' }): Promise<Remote> {
  const { dir: work, commit: first } = makeRepo(files);
  const root = tempDir('underlay-served-');
  const bare = path.join(root, 'site.git');
  git(root, 'clone', '-q', '--bare', work, bare);
  const server = await startGitHttpBackend(root);
  return { server, work, bare, url: `${server.url}/site.git`, first };
}

function push(r: Remote, ...refs: string[]): void {
  git(r.work, 'push', '-q', r.bare, ...refs);
}

function packs(gitdir: string): string[] {
  return readdirSync(path.join(gitdir, 'objects/pack')).filter((f) => f.endsWith('.pack'));
}

const uploadPacks = (s: GitHttpServer): number => s.requests.filter((r) => r.startsWith('POST') && r.endsWith('git-upload-pack')).length;

test('clone once over http, then fetch incrementally into the same cache', async (t) => {
  const r = await remote();
  t.teardown(() => r.server.close());
  const cacheDir = tempDir('underlay-cache-');

  const rev1 = await readRevision({ repo: r.url, cacheDir });
  t.is(rev1.commit, r.first);
  t.is(rev1.source, r.url);
  t.deepEqual(
    rev1.files.map((f) => [f.path, Buffer.from(f.content).toString()]),
    [['site.yaml', 'v: 1\n']],
  );
  const gitdir = cachePathFor(cacheDir, r.url);
  const packsAfterClone = packs(gitdir);
  t.is(packsAfterClone.length, 1);
  // A re-clone would replace the directory and lose this marker.
  writeFileSync(path.join(gitdir, 'underlay-test-marker'), '');

  writeFiles(r.work, { 'site.yaml': 'v: 2\n', 'new/host.yaml': 'h: 1\n' });
  const second = commitAll(r.work, 'second');
  git(r.work, 'tag', 'release-1');
  git(r.work, 'tag', '-a', 'release-1-ann', '-m', 'release');
  git(r.work, 'branch', 'feature', r.first);
  push(r, 'main', 'feature', 'release-1', 'release-1-ann');

  const rev2 = await readRevision({ repo: r.url, cacheDir });
  t.is(rev2.commit, second);
  t.true(existsSync(path.join(gitdir, 'underlay-test-marker')), 'cache directory was reused, not re-cloned');
  const packsAfterFetch = packs(gitdir);
  t.true(packsAfterClone.every((p) => packsAfterFetch.includes(p)), 'the first pack is kept; the fetch only adds');
  t.is(packsAfterFetch.length, 2);
  t.deepEqual(
    rev2.files.map((f) => f.path),
    ['new/host.yaml', 'site.yaml'],
  );

  t.is((await readRevision({ repo: r.url, ref: 'release-1', cacheDir })).commit, second);
  t.is((await readRevision({ repo: r.url, ref: 'release-1-ann', cacheDir })).commit, second);
  const feature = await readRevision({ repo: r.url, ref: 'feature', cacheDir });
  t.is(feature.commit, r.first);
  t.is((await readRevision({ repo: r.url, ref: 'refs/heads/feature', cacheDir })).commit, r.first);
  t.is(Buffer.from(feature.files[0]!.content).toString(), 'v: 1\n');
  t.is((await readRevision({ repo: r.url, ref: second.slice(0, 8), cacheDir })).commit, second);
});

test('credentials in the URL are used but never written to the cache', async (t) => {
  const r = await remote();
  t.teardown(() => r.server.close());
  const cacheDir = tempDir('underlay-cache-');
  const withAuth = r.url.replace('http://', 'http://user:s3cret@');
  t.is((await readRevision({ repo: withAuth, cacheDir })).commit, r.first);
  const gitdir = cachePathFor(cacheDir, withAuth);
  t.is(gitdir, cachePathFor(cacheDir, r.url));
  t.false(readFileSync(path.join(gitdir, 'config'), 'utf8').includes('s3cret'));
  t.is((await readRevision({ repo: withAuth, cacheDir })).commit, r.first);
});

test('a known full commit id is served from the cache without asking the server', async (t) => {
  const r = await remote();
  t.teardown(() => r.server.close());
  const cacheDir = tempDir('underlay-cache-');
  await readRevision({ repo: r.url, cacheDir });
  const before = r.server.requests.length;
  const rev = await readRevision({ repo: r.url, ref: r.first, cacheDir });
  t.is(rev.commit, r.first);
  t.is(r.server.requests.length, before);
});

test('branches and tags deleted upstream are pruned from the cache', async (t) => {
  const r = await remote();
  t.teardown(() => r.server.close());
  const cacheDir = tempDir('underlay-cache-');
  git(r.work, 'tag', 'gone');
  git(r.work, 'branch', 'gone-branch');
  push(r, 'gone', 'gone-branch');
  t.is((await readRevision({ repo: r.url, ref: 'gone', cacheDir })).commit, r.first);
  git(r.bare, 'tag', '-d', 'gone');
  git(r.bare, 'branch', '-D', 'gone-branch');
  for (const ref of ['gone', 'gone-branch']) {
    const err = await t.throwsAsync(readRevision({ repo: r.url, ref, cacheDir }), { instanceOf: SourceError });
    t.is(err?.code, 'RefNotFound');
  }
});

test('concurrent reads of one URL share one cache without corrupting it', async (t) => {
  const r = await remote();
  t.teardown(() => r.server.close());
  const cacheDir = tempDir('underlay-cache-');
  const revs = await Promise.all(Array.from({ length: 4 }, () => readRevision({ repo: r.url, cacheDir })));
  t.true(revs.every((rev) => rev.commit === r.first));
  t.deepEqual(readdirSync(cacheDir), [path.basename(cachePathFor(cacheDir, r.url))], 'no temporary clone left behind');
  t.is(packs(cachePathFor(cacheDir, r.url)).length, 1, 'only the first call cloned');
});

test('unreachable URL is FetchFailed; a missing repository is RepoNotFound; credentials are masked', async (t) => {
  const port = await closedPort();
  const cacheDir = tempDir('underlay-cache-');
  const url = `http://127.0.0.1:${port}/site.git`;
  const err = await t.throwsAsync(readRevision({ repo: url, cacheDir }), { instanceOf: SourceError });
  t.is(err?.code, 'FetchFailed');
  t.true(err?.message.includes(url));
  t.deepEqual(readdirSync(cacheDir), [], 'a failed clone leaves nothing behind');

  const r = await remote();
  t.teardown(() => r.server.close());
  const missing = r.url.replace('http://', 'http://user:s3cret@').replace('site.git', 'missing.git');
  const notFound = await t.throwsAsync(readRevision({ repo: missing, cacheDir }), { instanceOf: SourceError });
  t.is(notFound?.code, 'RepoNotFound');
  t.false(notFound?.message.includes('s3cret'));
  t.false(notFound?.data.repo.includes('s3cret'));
});

test('worktree mode is refused for a URL', async (t) => {
  const err = await t.throwsAsync(readRevision({ repo: 'http://127.0.0.1:1/x.git', cacheDir: tempDir(), worktree: true }), {
    instanceOf: SourceError,
  });
  t.is(err?.code, 'NotARepository');
});

test.serial('timing: clone of 2,000 files and an incremental fetch over http', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 2000; i++) files[`sites/d${i % 40}/node-${i}.yaml`] = `name: node-${i}\nindex: ${i}\n${'x: y\n'.repeat(20)}`;
  const r = await remote(files);
  t.teardown(() => r.server.close());
  const cacheDir = tempDir('underlay-cache-');
  let start = performance.now();
  const first = await readRevision({ repo: r.url, cacheDir });
  const cloneMs = performance.now() - start;
  t.is(first.files.length, 2000);

  start = performance.now();
  await readRevision({ repo: r.url, cacheDir });
  const noopMs = performance.now() - start;
  const gitdir = cachePathFor(cacheDir, r.url);
  const packsBefore = packs(gitdir).length;

  writeFiles(r.work, { 'sites/d0/node-0.yaml': 'changed\n' });
  const next = commitAll(r.work, 'change one file');
  push(r, 'main');
  const posts = uploadPacks(r.server);
  start = performance.now();
  const rev = await readRevision({ repo: r.url, cacheDir });
  const fetchMs = performance.now() - start;
  t.is(rev.commit, next);
  t.is(uploadPacks(r.server), posts + 1);
  t.is(packs(gitdir).length, packsBefore + 1);

  writeFiles(r.work, { 'sites/d1/node-1.yaml': 'changed\n' });
  commitAll(r.work, 'change another file');
  push(r, 'main');
  start = performance.now();
  await syncRemote({ fs, remote: httpRemote(r.url, http), cacheDir, ref: undefined });
  const fetchOnlyMs = performance.now() - start;
  t.log(
    `http, 2,000 files: first read (clone + read) ${cloneMs.toFixed(0)} ms; unchanged re-read ${noopMs.toFixed(0)} ms; ` +
      `read after one pushed commit (incremental fetch + read) ${fetchMs.toFixed(0)} ms; ` +
      `incremental fetch of one commit alone ${fetchOnlyMs.toFixed(0)} ms`,
  );
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
