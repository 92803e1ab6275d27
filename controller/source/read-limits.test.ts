import test from 'ava';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readRevision, SourceError } from './git-source.js';
import type { Revision } from './revision.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

const cacheDir = tempDir('underlay-cache-');
const limits = { fileBytes: 1000, revisionBytes: 1500 };

const summary = (rev: Revision) => rev.files.map((f) => [f.path, f.content.byteLength, f.unread ?? null]);

test('a file over the limit is left unread, its size taken from the object header, loose, packed or in the worktree', async (t) => {
  const { dir } = makeRepo({ 'big.txt': 'x'.repeat(1001), 'small.txt': 'y'.repeat(999), 'link': 'z' });
  const expected = [
    ['big.txt', 0, { size: 1001, over: 'file', limit: 1000 }],
    ['link', 1, null],
    ['small.txt', 999, null],
  ];
  t.deepEqual(summary(await readRevision({ repo: dir, cacheDir, limits })), expected);
  git(dir, 'gc', '-q');
  t.deepEqual(summary(await readRevision({ repo: dir, cacheDir, limits })), expected);
  const bare = path.join(tempDir(), 'b.git');
  git(path.dirname(bare), 'clone', '-q', '--bare', dir, bare);
  t.deepEqual(summary(await readRevision({ repo: bare, cacheDir, limits })), expected);
  t.deepEqual(summary(await readRevision({ repo: dir, cacheDir, limits, worktree: true })), expected);
});

test('a symbolic link whose blob is over the limit is left unread like any file', async (t) => {
  const { dir } = makeRepo({ 'a.txt': '1' });
  const blob = path.join(dir, 'target');
  writeFileSync(blob, 'x'.repeat(2000));
  const oid = git(dir, 'hash-object', '-w', blob);
  rmSync(blob);
  git(dir, 'update-index', '--add', '--cacheinfo', `120000,${oid},link`);
  git(dir, 'commit', '-q', '-m', 'a link no file system would make');
  t.deepEqual(summary(await readRevision({ repo: dir, cacheDir, limits })), [
    ['a.txt', 1, null],
    ['link', 0, { size: 2000, over: 'file', limit: 1000 }],
  ]);
});

test('when the files within the file limit add up to more than the revision limit, none is read', async (t) => {
  const { dir } = makeRepo({ 'a.txt': 'a'.repeat(800), 'b.txt': 'b'.repeat(700), 'big.txt': 'x'.repeat(5000) });
  // 800 + 700 is the limit exactly: read.
  t.deepEqual(summary(await readRevision({ repo: dir, cacheDir, limits })), [
    ['a.txt', 800, null],
    ['b.txt', 700, null],
    ['big.txt', 0, { size: 5000, over: 'file', limit: 1000 }],
  ]);
  writeFiles(dir, { 'c.txt': 'c' });
  commitAll(dir, 'one byte more');
  const over = { over: 'revision', limit: 1500 };
  const expected = [
    ['a.txt', 0, { size: 800, ...over }],
    ['b.txt', 0, { size: 700, ...over }],
    ['big.txt', 0, { size: 5000, over: 'file', limit: 1000 }],
    ['c.txt', 0, { size: 1, ...over }],
  ];
  t.deepEqual(summary(await readRevision({ repo: dir, cacheDir, limits })), expected);
  t.deepEqual(summary(await readRevision({ repo: dir, cacheDir, limits, worktree: true })), expected);
});

test("nothing of the repository's config, hooks or replace refs takes part in reading it", async (t) => {
  const { dir, commit } = makeRepo({ 'site.yaml': 'committed\n', 'other.yaml': 'replacement\n' });
  const marker = path.join(tempDir(), 'ran');
  const script = path.join(dir, 'hook.sh');
  writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  const config: [string, string][] = [
    ['core.fsmonitor', script],
    ['core.hooksPath', dir],
    ['core.sshCommand', script],
    ['core.pager', script],
  ];
  for (const [key, value] of config) git(dir, 'config', key, value);
  const committed = git(dir, 'rev-parse', `${commit}:site.yaml`);
  git(dir, 'replace', committed, git(dir, 'rev-parse', `${commit}:other.yaml`));
  t.is(git(dir, 'cat-file', '-p', committed), 'replacement', 'git itself honours the replace ref');
  const rev = await readRevision({ repo: dir, cacheDir });
  t.is(Buffer.from(rev.files.find((f) => f.path === 'site.yaml')!.content).toString(), 'committed\n');
  t.false(existsSync(marker));
});

test('an object missing from the store is ReadFailed, naming the repository', async (t) => {
  const { dir, commit } = makeRepo({ 'a.txt': 'a\n' });
  const oid = git(dir, 'rev-parse', `${commit}:a.txt`);
  rmSync(path.join(dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
  const err = await t.throwsAsync(readRevision({ repo: dir, cacheDir }), { instanceOf: SourceError });
  t.is(err?.code, 'ReadFailed');
  t.true(err?.message.includes(dir));
});

test('an abbreviated commit id shared by two objects is ambiguous; a tree is not a commit', async (t) => {
  // Enough objects that two share a four-digit prefix (deterministic: same content, same ids).
  const files: Record<string, string> = {};
  for (let i = 0; i < 1500; i++) files[`f${i}`] = `${i}\n`;
  const { dir, commit } = makeRepo(files);
  const ids = git(dir, 'rev-list', '--objects', '--all')
    .split('\n')
    .map((l) => l.slice(0, 4));
  const shared = ids.find((p, i) => ids.indexOf(p) !== i)!;
  const ambiguous = await t.throwsAsync(readRevision({ repo: dir, ref: shared, cacheDir }), { instanceOf: SourceError });
  t.is(ambiguous?.code, 'RefNotFound');
  t.regex(ambiguous?.message ?? '', /is ambiguous/);
  const tree = git(dir, 'rev-parse', `${commit}^{tree}`);
  const notCommit = await t.throwsAsync(readRevision({ repo: dir, ref: tree, cacheDir }), { instanceOf: SourceError });
  t.regex(notCommit?.message ?? '', new RegExp(`resolves to a tree \\(${tree}\\), not a commit`));
});
