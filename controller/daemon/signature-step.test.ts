/** The controller's signature step over a real repository, with real keys from ssh-keygen and a commit signed by git. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initialState } from '../runtime/reconcile-state.js';
import type { RuntimeDeps } from '../runtime/runtime-deps.js';
import type { Revision } from '../source/revision.js';
import { git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';
import { parseControllerConfig } from './controller-config.js';
import { verifySignature } from './signature-step.js';

test.after.always(removeTempDirs);

test('with verifySignatures, an unsigned commit stalls with SignatureRefused; one signed by an allowed key goes on', async (t) => {
  const keys = tempDir('underlay-step-keys-');
  const key = path.join(keys, 'alice');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice', '-f', key]);
  const allowed = path.join(keys, 'allowed_signers');
  writeFileSync(allowed, `alice@example.invalid ${readFileSync(`${key}.pub`, 'utf8').trim()}\n`);
  const { dir, commit: unsigned } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const site = parseControllerConfig('/c.yaml', `apiVersion: underlay.dev/v1alpha1\nkind: ControllerConfig\nsites:\n  - {name: lab, source: {repository: ${dir}, verifySignatures: {allowedSigners: ${allowed}}}}\n`).sites[0]!;
  const step = verifySignature({}, site, { stdout: () => undefined, stderr: () => undefined, cwd: dir, env: {} });
  const at = (commit: string) => ({ ...initialState(), revision: { commit } as Revision });

  const refused = await step.run(at(unsigned), {} as RuntimeDeps);
  t.like(refused, { type: 'stall', code: 'SignatureRefused' });
  t.regex(refused.type === 'stall' ? refused.message : '', new RegExp(`commit ${unsigned}: is not signed`));

  writeFiles(dir, { 'site.yaml': 'v: 2\n' });
  git(dir, 'add', '-A');
  git(dir, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`, 'commit', '-q', '-S', '-m', 'signed');
  const signed = git(dir, 'rev-parse', 'HEAD');
  t.like(await step.run(at(signed), {} as RuntimeDeps), { type: 'continue' });
});
