/**
 * The local watch against the real git CLI: every way a ref can move (a commit, `pack-refs`, `gc`, a commit
 * after `gc` removed the loose ref, a HEAD switch, a push into a bare repository) reaches onChange. Each case
 * starts its own watcher after the repository is set up, so an event can only come from the step under test.
 */
import test from 'ava';
import * as path from 'node:path';
import { isRefPath, watchLocalRepository } from './local-repository-watch.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

/** Watches `gitDir`, runs `act`, and resolves once onChange ran (bounded: a watch that misses fails the test). */
async function noticed(gitDir: string, act: () => void): Promise<number> {
  let calls = 0;
  let notify: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (notify = resolve));
  const w = await watchLocalRepository(gitDir, () => {
    calls++;
    notify();
  });
  try {
    act();
    let timer: NodeJS.Timeout | undefined;
    const missed = new Promise<'missed'>((resolve) => (timer = setTimeout(() => resolve('missed'), 10_000)));
    const outcome = await Promise.race([first.then(() => 'seen' as const), missed]);
    clearTimeout(timer);
    return outcome === 'seen' ? calls : 0;
  } finally {
    await w.close();
  }
}

function edit(dir: string, n: number): string {
  writeFiles(dir, { 'site.yaml': `v: ${n}\n` });
  return commitAll(dir, `edit ${n}`);
}

test('a commit on the branch is noticed', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  t.true((await noticed(path.join(dir, '.git'), () => edit(dir, 2))) > 0);
});

test('git pack-refs --all is noticed (the loose ref moves into packed-refs)', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  t.true((await noticed(path.join(dir, '.git'), () => git(dir, 'pack-refs', '--all'))) > 0);
  t.true(git(dir, 'show-ref').length > 0);
});

test('git gc is noticed', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  edit(dir, 2);
  t.true((await noticed(path.join(dir, '.git'), () => git(dir, 'gc', '-q'))) > 0);
});

test('after gc deleted the loose ref, the next commit is still noticed', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  git(dir, 'gc', '-q');
  t.is(git(dir, 'for-each-ref', '--format=%(refname)'), 'refs/heads/main');
  t.true((await noticed(path.join(dir, '.git'), () => edit(dir, 2))) > 0);
});

test('HEAD switched to another branch is noticed', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  git(dir, 'branch', 'other');
  git(dir, 'pack-refs', '--all');
  t.true((await noticed(path.join(dir, '.git'), () => git(dir, 'symbolic-ref', 'HEAD', 'refs/heads/other'))) > 0);
});

test('a push into a bare repository is noticed', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const bare = path.join(tempDir('underlay-bare-'), 'site.git');
  git(dir, 'clone', '-q', '--bare', dir, bare);
  git(bare, 'gc', '-q');
  edit(dir, 2);
  t.true((await noticed(bare, () => git(dir, 'push', '-q', bare, 'main'))) > 0);
});

test('a linked worktree is watched through its common directory, where its branch lives', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const wt = path.join(tempDir('underlay-worktree-'), 'wt');
  git(dir, 'worktree', 'add', '-q', '-b', 'deploy', wt);
  const gitDir = git(wt, 'rev-parse', '--absolute-git-dir');
  t.not(gitDir, path.join(dir, '.git'));
  t.true((await noticed(gitDir, () => edit(wt, 2))) > 0);
});

test('only ref files count: objects, the index, logs and lock files are not watched', (t) => {
  const root = '/r/.git';
  for (const p of [root, '/r/.git/HEAD', '/r/.git/packed-refs', '/r/.git/refs', '/r/.git/refs/heads/main', '/r/.git/refs/tags/v1']) t.true(isRefPath(root, p), p);
  for (const p of ['/r/.git/objects/ab/cdef', '/r/.git/index', '/r/.git/logs/HEAD', '/r/.git/refs/heads/main.lock', '/r/.git/packed-refs.lock', '/r/.git/HEAD.lock', '/r/.git/refsx', '/r/site.yaml']) {
    t.false(isRefPath(root, p), p);
  }
});
