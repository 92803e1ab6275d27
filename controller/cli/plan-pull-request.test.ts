/**
 * `underlay plan --base REF --head REF` in-process over real Git repositories (a local one, the same served
 * over HTTP by git's own http-backend, and over SSH by sshd and git-shell): both revisions from one repository, planned against one
 * snapshot; the output formats, exit codes and refusals. Over SSH too, with a real sshd on 127.0.0.1.
 */
import test from 'ava';
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emptyInventory } from '../model/observed.js';
import { renderInventorySnapshot } from '../inventory/snapshot.js';
import { planRevision } from '../pipeline/plan-revision.js';
import { registry } from '../../reconcilers/registry.js';
import { convergedInventory } from '../../test/support/converged-inventory.js';
import { startGitHttpBackend } from '../../test/support/git-http-backend.js';
import { startGitSshServer } from '../../test/support/git-ssh-server.js';
import { commitAll, git, removeTempDirs, tempDir } from '../../test/support/git-repo.js';
import { revisionFromDir } from '../../test/support/revision-from-dir.js';
import { main } from './main.js';

test.after.always(removeTempDirs);

const scenario = path.resolve(import.meta.dirname, '../../test/pull-request-plans/reverted-and-new');
const work = tempDir('underlay-prplan-');

/** A repository with `main` (the base), `pr` (the head) and `broken` (a base with an error in it). */
function repository(): { repo: string; base: string; head: string } {
  const repo = path.join(work, 'site');
  cpSync(path.join(scenario, 'base'), repo, { recursive: true });
  git(repo, 'init', '-q');
  const base = commitAll(repo, 'base');
  git(repo, 'checkout', '-q', '-b', 'broken');
  writeFileSync(path.join(repo, 'clusters/web.yaml'), readFileSync(path.join(repo, 'clusters/web.yaml'), 'utf8').replace('module: web', 'module: nowhere'));
  commitAll(repo, 'broken');
  git(repo, 'checkout', '-q', '-b', 'pr', base);
  cpSync(path.join(scenario, 'head'), repo, { recursive: true });
  const head = commitAll(repo, 'head');
  return { repo, base, head };
}

const { repo, base, head } = repository();
const applied = planRevision(revisionFromDir(path.join(scenario, 'observed')), emptyInventory(), { registry });
writeFileSync(path.join(work, 'inventory.json'), renderInventorySnapshot(convergedInventory(applied.desired!)));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: work, env: { HOME: work } });
  return { code, stdout, stderr };
}

const pr = (...more: string[]) => cli('plan', '--repo', 'site', '--base', 'main', '--head', 'pr', '--inventory', 'inventory.json', ...more);

test('the JSON marks what the head changes against the base, both planned from one repository and one snapshot', async (t) => {
  const { code, stdout, stderr } = await pr('--output', 'json');
  t.is(code, 0, stderr);
  const plan = JSON.parse(stdout) as { kind: string; base: { revision: { commit: string } }; head: { revision: { commit: string } }; summary: Record<string, number> };
  t.is(plan.kind, 'PullRequestPlan');
  t.is(plan.base.revision.commit, base);
  t.is(plan.head.revision.commit, head);
  t.deepEqual(plan.summary, { new: 9, changed: 0, gone: 3, unchanged: 0, targets: 3 });
  t.is((await pr('--output', 'json')).stdout, stdout, 'deterministic');
});

test('--out saves the head\'s own plan, for apply', async (t) => {
  const { code, stderr } = await pr('--out', 'head-plan.json');
  t.is(code, 0, stderr);
  const saved = JSON.parse(readFileSync(path.join(work, 'head-plan.json'), 'utf8')) as { kind: string; revision: { commit: string } };
  t.deepEqual([saved.kind, saved.revision.commit], ['Plan', head]);
});

test('--detailed-exitcode: 2 when the pull request changes something, 0 when head and base plan alike', async (t) => {
  t.is((await pr('--detailed-exitcode')).code, 2);
  const same = await cli('plan', '--repo', 'site', '--base', 'pr', '--head', 'pr', '--inventory', 'inventory.json', '--detailed-exitcode');
  t.is(same.code, 0, same.stderr);
  t.regex(same.stdout, /This pull request changes nothing on the nodes\./);
});

test('Markdown and text name both revisions; text is the unabridged listing', async (t) => {
  const md = await pr('--output', 'markdown');
  t.is(md.code, 0, md.stderr);
  t.true(md.stdout.startsWith(`<!-- underlay-plan -->\n## underlay plan for this pull request: \`${base.slice(0, 12)}\` → \`${head.slice(0, 12)}\``));
  const text = await pr();
  t.regex(text.stdout, /^ {2}new: web01…web03 \(3\): \+ create file:\/etc\/web\/robots\.txt, same change$/m);
  t.regex(text.stdout, /^ {2}gone: web01…web03 \(3\): ~ update file:\/etc\/web\/motd, same change$/m);
});

test('a base that cannot be planned leaves every change new, says why, and is no error', async (t) => {
  const { code, stdout, stderr } = await cli('plan', '--repo', 'site', '--base', 'broken', '--head', 'pr', '--inventory', 'inventory.json', '--output', 'json');
  t.is(code, 0, stderr);
  t.regex(stderr, /warning: the base \(broken\) could not be planned/);
  t.regex(stderr, /nowhere/);
  const plan = JSON.parse(stdout) as { base: { problem: string }; summary: Record<string, number> };
  t.is(plan.base.problem, '1 error(s) in the base revision');
  t.is(plan.summary.gone, 0);
});

test('a head that cannot be planned is an error with its diagnostics, and prints no plan', async (t) => {
  const { code, stdout, stderr } = await cli('plan', '--repo', 'site', '--base', 'main', '--head', 'broken', '--inventory', 'inventory.json');
  t.is(code, 1);
  t.is(stdout, '');
  t.regex(stderr, /nowhere/);
});

test('refused: --head without --base, --rev or --live with --base, an unknown ref', async (t) => {
  const cases: [string[], RegExp][] = [
    [['plan', '--repo', 'site', '--head', 'pr'], /--head needs --base/],
    [['plan', '--repo', 'site', '--base', 'main', '--rev', 'pr'], /give the second as --head REF/],
    [['plan', '--repo', 'site', '--base', 'main', '--live'], /not live nodes/],
    [['plan', '--repo', 'site', '--base', 'nosuch', '--head', 'pr', '--inventory', 'inventory.json'], /no branch, tag or commit named "nosuch" \[RefNotFound\]/],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await cli(...args);
    t.is(code, 1, args.join(' '));
    t.regex(stderr, message);
    t.is(stdout, '');
  }
});

test('both refs read from a repository served over HTTP', async (t) => {
  const root = tempDir('underlay-prplan-http-');
  git(root, 'clone', '-q', '--bare', repo, 'site.git');
  const server = await startGitHttpBackend(root);
  try {
    const url = `${server.url}/site.git`;
    const cache = path.join(work, 'cache');
    const { code, stdout, stderr } = await cli('plan', '--repo', url, '--cache-dir', cache, '--base', 'main', '--head', 'pr', '--inventory', 'inventory.json', '--output', 'json');
    t.is(code, 0, stderr);
    const plan = JSON.parse(stdout) as { base: { revision: { commit: string } }; head: { revision: { commit: string; source: string } }; summary: Record<string, number> };
    t.deepEqual([plan.base.revision.commit, plan.head.revision.commit, plan.head.revision.source], [base, head, url]);
    t.deepEqual(plan.summary, { new: 9, changed: 0, gone: 3, unchanged: 0, targets: 3 });
  } finally {
    await server.close();
  }
});

test('both refs read from a repository behind SSH, the server trusted by known_hosts', async (t) => {
  const server = await startGitSshServer();
  try {
    const bare = path.join(tempDir('underlay-prplan-ssh-'), 'site.git');
    git(work, 'clone', '-q', '--bare', repo, bare);
    const state = tempDir('underlay-prplan-state-');
    writeFileSync(path.join(state, 'known_hosts'), `${server.knownHostsLine}\n`);
    mkdirSync(path.join(state, 'secrets'), { mode: 0o700 });
    copyFileSync(server.client.privateKeyPath, path.join(state, 'secrets', 'git-ssh-key'));
    const args = ['--repo', server.url(bare), '--state-dir', state, '--cache-dir', path.join(state, 'cache'), '--base', 'main', '--head', 'pr', '--inventory', 'inventory.json', '--output', 'json'];
    const { code, stdout, stderr } = await cli('plan', ...args);
    t.is(code, 0, stderr);
    const plan = JSON.parse(stdout) as { base: { revision: { commit: string } }; head: { revision: { commit: string } }; summary: Record<string, number> };
    t.deepEqual([plan.base.revision.commit, plan.head.revision.commit], [base, head]);
    t.is(plan.summary.new, 9);
  } finally {
    await server.stop();
  }
});

test('a node the snapshot could not observe: the comment is printed and warns of it, and the exit code is 1', async (t) => {
  const snapshot = JSON.parse(readFileSync(path.join(work, 'inventory.json'), 'utf8')) as { nodes: Record<string, unknown> };
  snapshot.nodes.web02 = { reachable: false, error: 'connect EHOSTUNREACH', errorCode: 'Unreachable', facts: {}, managed: {}, resources: {} };
  writeFileSync(path.join(work, 'unreachable.json'), JSON.stringify(snapshot));
  const { code, stdout, stderr } = await cli('plan', '--repo', 'site', '--base', 'main', '--head', 'pr', '--inventory', 'unreachable.json', '--output', 'markdown');
  t.is(code, 1);
  t.regex(stderr, /error: 1 node\(s\) could not be observed, so the plan does not cover them: web02/);
  t.regex(stdout, /> \[!WARNING\]\n> node web02 was unreachable \(connect EHOSTUNREACH\): no changes planned for it/);
  t.regex(stdout, /\| new \| web01, web03 \(2\) \| \+ create \| `file:\/etc\/web\/robots\.txt` \|/);
});
