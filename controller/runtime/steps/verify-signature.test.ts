/** The signature step over real repositories, real ssh-keygen keys and commits signed by the real git. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { steppingClock } from '../../clock.js';
import { readRevision } from '../../source/git-source.js';
import { initialState } from '../reconcile-state.js';
import type { RuntimeDeps } from '../runtime-deps.js';
import { verifySignature } from './verify-signature.js';
import { git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../../test/support/git-repo.js';

test.after.always(removeTempDirs);

const keys = tempDir('underlay-signers-');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keys, 'ops')]);
const allowedSigners = path.join(keys, 'allowed_signers');
writeFileSync(allowedSigners, `ops@example.invalid ${readFileSync(path.join(keys, 'ops.pub'), 'utf8')}`);

// The step reads nothing of the runtime but the clock.
const deps = { clock: steppingClock('2026-06-01T00:00:00.000Z') } as unknown as RuntimeDeps;

async function stepOn(dir: string): ReturnType<ReturnType<typeof verifySignature>['run']> {
  const revision = await readRevision({ repo: dir, cacheDir: tempDir() });
  const step = verifySignature({ allowedSigners, gitDir: () => Promise.resolve(path.join(dir, '.git')) });
  return step.run({ ...initialState(), revision }, deps);
}

test('a commit signed by an allowed key goes on', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  writeFiles(dir, { 'site.yaml': 'v: 2\n' });
  git(dir, 'add', '-A');
  git(dir, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${path.join(keys, 'ops')}`, 'commit', '-q', '-S', '-m', 'signed');
  t.is((await stepOn(dir)).type, 'continue');
});

test('an unsigned commit stalls the reconcile with SignatureRefused and the reason', async (t) => {
  const { dir, commit } = makeRepo({ 'site.yaml': 'v: 1\n' });
  t.deepEqual(await stepOn(dir), { type: 'stall', code: 'SignatureRefused', message: `commit ${commit}: is not signed` });
});

test('a working directory read (no commit) is refused', async (t) => {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const revision = await readRevision({ repo: dir, cacheDir: tempDir(), worktree: true });
  const result = await verifySignature({ allowedSigners, gitDir: () => Promise.resolve(path.join(dir, '.git')) }).run({ ...initialState(), revision }, deps);
  t.like(result, { type: 'stall', code: 'SignatureRefused' });
});
