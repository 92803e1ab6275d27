import test from 'ava';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readRevision, SourceError } from './git-source.js';
import type { Revision } from './revision.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

const binary = randomBytes(64 * 1024);

/**
 * One repository shared by the read-only tests: c1 is the first commit (also branch `old`, tags `v1`
 * and annotated `v1-ann`), c2 is HEAD on main, and the working tree carries uncommitted edits so any
 * accidental read of the checkout shows up as wrong content.
 */
function fixture(): { dir: string; c1: string; c2: string } {
  const dir = tempDir();
  git(dir, 'init', '-q');
  writeFiles(dir, {
    'README.md': 'v1\n',
    'sites/a/b/c/deep.yaml': 'deep: true\n',
    'data.bin': binary,
    'bin/run.sh': '#!/bin/sh\necho hi\n',
  });
  chmodSync(path.join(dir, 'bin/run.sh'), 0o755);
  symlinkSync('sites/a/b/c/deep.yaml', path.join(dir, 'link.yaml'));
  const first = commitAll(dir, 'initial');
  git(dir, 'branch', 'old');
  git(dir, 'tag', 'v1');
  git(dir, 'tag', '-a', 'v1-ann', '-m', 'annotated');
  writeFiles(dir, { 'README.md': 'v2\n' });
  const c2 = commitAll(dir, 'second');
  writeFiles(dir, { 'README.md': 'uncommitted\n', 'untracked.txt': 'x' });
  return { dir, c1: first, c2 };
}

const repo = fixture();
const cacheDir = tempDir('underlay-cache-');

function text(rev: Revision, p: string): string | undefined {
  const f = rev.files.find((x) => x.path === p);
  return f && Buffer.from(f.content).toString('utf8');
}

test('HEAD by default gives the last commit, not the modified working tree', async (t) => {
  const rev = await readRevision({ repo: repo.dir, cacheDir });
  t.is(rev.commit, repo.c2);
  t.is(rev.ref, 'HEAD');
  t.false(rev.worktree);
  t.is(text(rev, 'README.md'), 'v2\n');
  t.is(text(rev, 'untracked.txt'), undefined);
  t.false(rev.files.some((f) => f.path.startsWith('.git')));
});

for (const ref of ['old', 'v1', 'v1-ann', 'refs/tags/v1-ann', 'FULL', 'SHORT']) {
  test(`ref ${ref} resolves to the older commit and its content`, async (t) => {
    const asked = ref === 'FULL' ? repo.c1 : ref === 'SHORT' ? repo.c1.slice(0, 7) : ref;
    const rev = await readRevision({ repo: repo.dir, ref: asked, cacheDir });
    t.is(rev.commit, repo.c1);
    t.is(rev.ref, asked);
    t.is(text(rev, 'README.md'), 'v1\n');
  });
}

test('file types, nested directories and binary content come from the tree', async (t) => {
  const rev = await readRevision({ repo: repo.dir, ref: 'v1', cacheDir });
  const byPath = new Map(rev.files.map((f) => [f.path, f]));
  t.deepEqual([...byPath.keys()], ['README.md', 'bin/run.sh', 'data.bin', 'link.yaml', 'sites/a/b/c/deep.yaml']);
  t.is(byPath.get('bin/run.sh')?.type, 'executable');
  t.is(byPath.get('README.md')?.type, 'file');
  t.is(byPath.get('link.yaml')?.type, 'symlink');
  t.is(Buffer.from(byPath.get('link.yaml')!.content).toString(), 'sites/a/b/c/deep.yaml');
  t.is(text(rev, 'sites/a/b/c/deep.yaml'), 'deep: true\n');
  t.true(Buffer.from(byPath.get('data.bin')!.content).equals(binary));
});

test('a bare, packed repository reads the same', async (t) => {
  const bare = path.join(tempDir(), 'site.git');
  git(path.dirname(bare), 'clone', '-q', '--bare', repo.dir, bare);
  git(bare, 'gc', '-q');
  const head = await readRevision({ repo: bare, cacheDir });
  t.is(head.commit, repo.c2);
  const tagged = await readRevision({ repo: bare, ref: 'v1-ann', cacheDir });
  t.is(tagged.commit, repo.c1);
  const local = await readRevision({ repo: repo.dir, ref: 'v1-ann', cacheDir });
  t.deepEqual(tagged.files, local.files);
});

test('an exact branch wins over a tag of the same name', async (t) => {
  const { dir, commit: c1 } = makeRepo({ 'a.txt': '1' });
  git(dir, 'tag', 'dup');
  writeFiles(dir, { 'a.txt': '2' });
  const c2 = commitAll(dir, 'two');
  git(dir, 'branch', 'dup');
  t.not(c1, c2);
  t.is((await readRevision({ repo: dir, ref: 'dup', cacheDir })).commit, c2);
  t.is((await readRevision({ repo: dir, ref: 'refs/tags/dup', cacheDir })).commit, c1);
  // A branch whose name looks like a prefix of another commit still means the branch.
  git(dir, 'branch', c2.slice(0, 7), c1);
  t.is((await readRevision({ repo: dir, ref: c2.slice(0, 7), cacheDir })).commit, c1);
  const short = await t.throwsAsync(readRevision({ repo: dir, ref: c2.slice(0, 3), cacheDir }), { instanceOf: SourceError });
  t.is(short?.code, 'RefNotFound');
});

test('unknown ref is RefNotFound naming the repo and the ref', async (t) => {
  const err = await t.throwsAsync(readRevision({ repo: repo.dir, ref: 'no-such-branch', cacheDir }), { instanceOf: SourceError });
  t.is(err?.code, 'RefNotFound');
  t.regex(err?.message ?? '', /no-such-branch/);
  t.true(err?.message.includes(repo.dir));
  const hex = await t.throwsAsync(readRevision({ repo: repo.dir, ref: 'deadbeef', cacheDir }), { instanceOf: SourceError });
  t.is(hex?.code, 'RefNotFound');
});

test('a ref to a tree, not a commit, is RefNotFound', async (t) => {
  const { dir } = makeRepo({ 'a.txt': '1' });
  git(dir, 'tag', 'treetag', 'HEAD^{tree}');
  const err = await t.throwsAsync(readRevision({ repo: dir, ref: 'treetag', cacheDir }), { instanceOf: SourceError });
  t.is(err?.code, 'RefNotFound');
  t.regex(err?.message ?? '', /tree/);
});

test('not a repository, and a missing path, are told apart', async (t) => {
  const plain = tempDir();
  const notRepo = await t.throwsAsync(readRevision({ repo: plain, cacheDir }), { instanceOf: SourceError });
  t.is(notRepo?.code, 'NotARepository');
  const missing = await t.throwsAsync(readRevision({ repo: path.join(plain, 'nope'), cacheDir }), { instanceOf: SourceError });
  t.is(missing?.code, 'RepoNotFound');
});

test('submodule entries are skipped', async (t) => {
  const { dir, commit } = makeRepo({ 'a.txt': '1' });
  // A gitlink without a checked-out submodule: `git add -A` would drop it again, so commit the index as is.
  git(dir, 'update-index', '--add', '--cacheinfo', `160000,${commit},vendor/sub`);
  git(dir, 'commit', '-q', '-m', 'add submodule');
  const c2 = git(dir, 'rev-parse', 'HEAD');
  const rev = await readRevision({ repo: dir, ref: c2, cacheDir });
  t.deepEqual(
    rev.files.map((f) => f.path),
    ['a.txt'],
  );
});

test('worktree mode sees uncommitted changes, honours .gitignore and labels the result', async (t) => {
  const { dir } = makeRepo({ 'README.md': 'committed\n', '.gitignore': 'ignored.txt\nbuild/\n', 'sub/.gitignore': '*.tmp\n' });
  writeFiles(dir, { 'build/keep.txt': 'tracked although ignored' });
  git(dir, 'add', '-f', 'build/keep.txt');
  commitAll(dir, 'tracked file in ignored dir');
  writeFiles(dir, {
    'README.md': 'edited\n',
    'new.txt': 'untracked',
    'ignored.txt': 'secret',
    'build/out.js': 'generated',
    'sub/x.tmp': 'tmp',
    'sub/x.yaml': 'kept',
  });
  mkdirSync(path.join(dir, 'empty-dir'));
  writeFileSync(path.join(dir, 'tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
  const rev = await readRevision({ repo: dir, cacheDir, worktree: true });
  t.is(rev.commit, 'worktree');
  t.true(rev.worktree);
  t.deepEqual(
    rev.files.map((f) => f.path),
    ['.gitignore', 'README.md', 'build/keep.txt', 'new.txt', 'sub/.gitignore', 'sub/x.yaml', 'tool.sh'],
  );
  t.is(text(rev, 'README.md'), 'edited\n');
  t.is(rev.files.find((f) => f.path === 'tool.sh')?.type, 'executable');
});

test('worktree mode on a bare repository is NotARepository', async (t) => {
  const bare = path.join(tempDir(), 'b.git');
  git(path.dirname(bare), 'init', '-q', '--bare', bare);
  const err = await t.throwsAsync(readRevision({ repo: bare, cacheDir, worktree: true }), { instanceOf: SourceError });
  t.is(err?.code, 'NotARepository');
});

test.serial('timing: reading a 2,000-file revision', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 2000; i++) files[`sites/d${i % 40}/node-${i}.yaml`] = `name: node-${i}\nindex: ${i}\n${'x: y\n'.repeat(20)}`;
  const { dir, commit } = makeRepo(files);
  let start = performance.now();
  const loose = await readRevision({ repo: dir, cacheDir });
  const looseMs = performance.now() - start;
  t.is(loose.commit, commit);
  t.is(loose.files.length, 2000);
  git(dir, 'gc', '-q');
  start = performance.now();
  const packed = await readRevision({ repo: dir, cacheDir });
  const packedMs = performance.now() - start;
  t.deepEqual(packed.files, loose.files);
  start = performance.now();
  const wt = await readRevision({ repo: dir, cacheDir, worktree: true });
  const wtMs = performance.now() - start;
  t.is(wt.files.length, 2000);
  t.log(`2,000 files: loose objects ${looseMs.toFixed(0)} ms, packed ${packedMs.toFixed(0)} ms, worktree mode ${wtMs.toFixed(0)} ms`);
});
