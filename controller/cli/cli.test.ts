/**
 * The CLI in-process (main() with captured streams) over real Git repositories made with the git CLI:
 * help everywhere, exit codes, output formats, saved plans, errors on stderr.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from './main.js';

const scenarios = path.resolve(import.meta.dirname, '../../test/scenarios');
const work = mkdtempSync(path.join(tmpdir(), 'underlay-cli-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

function repoFrom(scenario: string): string {
  const dir = mkdtempSync(path.join(work, 'repo-'));
  cpSync(path.join(scenarios, scenario, 'repo'), dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@underlay.invalid', ...args], { stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'site');
  return dir;
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: work, env });
  return { code, stdout, stderr };
}

const firstApply = repoFrom('01-first-apply');
const noOp = repoFrom('02-no-op');

for (const command of [[], ['validate'], ['plan'], ['apply'], ['inventory'], ['status'], ['drift'], ['nodes', 'keyscan'], ['schema']]) {
  test(`--help works for '${command.join(' ') || 'underlay'}' and exits 0`, async (t) => {
    const { code, stdout } = await cli([...command, '--help']);
    t.is(code, 0);
    t.regex(stdout, /Usage: underlay/);
  });
}

test('an unknown command or flag is a usage error on stderr with exit 1', async (t) => {
  const unknown = await cli(['frobnicate']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /unknown command/);
  const badFlag = await cli(['plan', '--output', 'yaml']);
  t.is(badFlag.code, 1);
  t.regex(badFlag.stderr, /yaml/);
  const badBaseline = await cli(['drift', '--against', 'yesterday']);
  t.is(badBaseline.code, 1);
  t.regex(badBaseline.stderr, /yesterday.*last-applied, current/);
});

test('drift: a revision that does not load stops the check before anything is observed, exit 1', async (t) => {
  const broken = repoFrom('01-first-apply');
  writeFileSync(path.join(broken, 'clusters/broken.yaml'), 'kind: Cluster\n');
  execFileSync('git', ['-C', broken, '-c', 'user.name=t', '-c', 'user.email=t@underlay.invalid', 'add', '-A'], { stdio: 'pipe' });
  execFileSync('git', ['-C', broken, '-c', 'user.name=t', '-c', 'user.email=t@underlay.invalid', 'commit', '-qm', 'broken'], { stdio: 'pipe' });
  const { code, stdout } = await cli(['drift', '--repo', broken, '--state-dir', path.join(work, 'drift-state'), '--output', 'json']);
  t.is(code, 1);
  t.like(JSON.parse(stdout), { outcome: { type: 'stall', code: 'RevisionInvalid' }, drifted: [] });
});

test('validate: a valid revision exits 0 and names the commit', async (t) => {
  const { code, stdout, stderr } = await cli(['validate', '--repo', firstApply]);
  t.is(code, 0, stderr);
  t.regex(stdout, /^Valid: revision [0-9a-f]{40}, \d+ node\(s\)/);
});

test('plan --detailed-exitcode: 2 with changes, 0 without, 1 on a bad inventory', async (t) => {
  const changes = await cli(['plan', '--repo', firstApply, '--detailed-exitcode']);
  t.is(changes.code, 2, changes.stderr);
  t.regex(changes.stdout, /Plan: \d+ to create/);
  t.regex(changes.stderr, /planning against empty nodes/);

  const none = await cli(['plan', '--repo', noOp, '--inventory', path.join(scenarios, '02-no-op/inventory.json'), '--detailed-exitcode']);
  t.is(none.code, 0, none.stderr);
  t.regex(none.stdout, /No changes\./);

  const badFile = path.join(work, 'bad-inventory.json');
  writeFileSync(badFile, JSON.stringify({ apiVersion: 'underlay.dev/v1alpha1', kind: 'Inventory', nodes: { n1: { reachable: 'yes' } } }));
  const bad = await cli(['plan', '--repo', noOp, '--inventory', badFile, '--detailed-exitcode']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /bad-inventory\.json.*nodes\.n1\.reachable/);
  t.is(bad.stdout, '');
});

test('plan with no way to observe says so in the plan itself: a banner in text and Markdown, observation "none" in the JSON', async (t) => {
  const text = await cli(['plan', '--repo', firstApply]);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /^!!! PLANNED AGAINST EMPTY NODES: nothing was observed/m);
  const markdown = await cli(['plan', '--repo', firstApply, '--output', 'markdown']);
  t.regex(markdown.stdout, /> \[!CAUTION\]\n> \*\*PLANNED AGAINST EMPTY NODES/);
  const json = JSON.parse((await cli(['plan', '--repo', firstApply, '--output', 'json'])).stdout) as { observation?: string };
  t.is(json.observation, 'none');

  const observed = await cli(['plan', '--repo', noOp, '--inventory', path.join(scenarios, '02-no-op/inventory.json'), '--output', 'json']);
  t.false('observation' in (JSON.parse(observed.stdout) as object), 'a plan against observed nodes carries no such field');
});

test('plan exits 1 naming every node it could not observe, even with --detailed-exitcode, and still prints the plan', async (t) => {
  const repo = repoFrom('16-unreachable-node');
  const snapshot = path.join(scenarios, '16-unreachable-node/inventory.json');
  for (const extra of [[], ['--detailed-exitcode']]) {
    const r = await cli(['plan', '--repo', repo, '--inventory', snapshot, ...extra]);
    t.is(r.code, 1, `${extra.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /^error: 1 node\(s\) could not be observed, so the plan does not cover them: n2\n {2}n2: .+/m);
    t.regex(r.stdout, /Warning: node n2 was unreachable/);
    t.regex(r.stdout, /Plan hash [0-9a-f]{64}/);
  }
});

test('plan --output json is the plan; --out saves the same bytes; markdown is for pull requests', async (t) => {
  const out = path.join(work, 'saved-plan.json');
  const json = await cli(['plan', '--repo', firstApply, '--output', 'json', '--out', out]);
  t.is(json.code, 0, json.stderr);
  const plan = JSON.parse(json.stdout) as { kind: string; hash: string; changes: unknown[] };
  t.is(plan.kind, 'Plan');
  t.true(plan.changes.length > 0);
  t.is(readFileSync(out, 'utf8'), json.stdout);
  const markdown = await cli(['plan', '--repo', firstApply, '--output', 'markdown']);
  t.is(markdown.code, 0);
  t.true(markdown.stdout.includes(plan.hash.slice(0, 12)));
  t.regex(markdown.stdout, /^#/m);
});

test('apply --plan refuses a saved plan edited after it was made: its hash, or a file\'s content', async (t) => {
  const saved = (await cli(['plan', '--repo', firstApply, '--output', 'json'])).stdout;
  type Saved = { changes: { kind: string; reason: string; after: { content?: string } | null }[] };
  const edited = (name: string, edit: (plan: Saved) => void): string => {
    const plan = JSON.parse(saved) as Saved;
    edit(plan);
    const out = path.join(work, name);
    writeFileSync(out, JSON.stringify(plan));
    return out;
  };
  const reason = await cli(['apply', '--repo', firstApply, '--plan', edited('edited-reason.json', (p) => (p.changes[0]!.reason = 'edited'))]);
  t.is(reason.code, 1);
  t.regex(reason.stderr, /plan hash does not match/);
  const content = edited('edited-content.json', (p) => {
    const file = p.changes.find((c) => c.kind === 'file' && typeof c.after?.content === 'string');
    file!.after!.content = 'edited\n';
  });
  const refused = await cli(['apply', '--repo', firstApply, '--plan', content]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /file content does not match its sha256/);
});

test('apply --plan and status --plan refuse a plan of format v1alpha1 (changes named a node string), saying to plan again', async (t) => {
  const plan = JSON.parse((await cli(['plan', '--repo', firstApply, '--output', 'json'])).stdout) as { apiVersion: string; changes: Record<string, unknown>[] };
  plan.apiVersion = 'underlay.dev/v1alpha1';
  for (const c of plan.changes) {
    c.node = (c.target as { name: string }).name;
    delete c.target;
  }
  const old = path.join(work, 'v1alpha1-plan.json');
  writeFileSync(old, JSON.stringify(plan));
  for (const command of [['apply', '--repo', firstApply], ['status', '--state-dir', path.join(work, 'no-state')]]) {
    const refused = await cli([...command, '--plan', old]);
    t.is(refused.code, 1, command[0]);
    t.regex(refused.stderr, /v1alpha1-plan\.json is a plan of format underlay\.dev\/v1alpha1, which this version of underlay no longer reads .*: plan again/, command[0]);
  }
});

test('apply refused for want of an SSH identity leaves no state behind; the default secret store is under the state directory', async (t) => {
  const xdg = path.join(work, 'xdg-apply');
  const r = await cli(['apply', '--repo', firstApply], { XDG_STATE_HOME: xdg });
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`no file ${xdg}/underlay/secrets/ssh-client-key`));
  t.false(existsSync(xdg), 'no state directory, no database');
  t.false(existsSync(path.join(work, '.state')));
});

test('a repository that does not exist is an error on stderr, exit 1, nothing on stdout', async (t) => {
  const { code, stdout, stderr } = await cli(['plan', '--repo', path.join(work, 'nowhere')]);
  t.is(code, 1);
  t.is(stdout, '');
  t.regex(stderr, new RegExp(`^error: ${path.join(work, 'nowhere')} @ HEAD: .+ \\[RepoNotFound\\]\n$`));
});

test('an error of the world is one line with its code, not an internal error: a saved plan that is not there', async (t) => {
  const { code, stdout, stderr } = await cli(['apply', '--repo', firstApply, '--plan', 'no-such-plan.json']);
  t.is(code, 1);
  t.is(stdout, '');
  t.regex(stderr, /^error: ENOENT: no such file or directory, open '.*no-such-plan\.json' \[IoFailed\]\n$/);
});

test('a missing secret is reported with its code and the flags that choose it', async (t) => {
  const r = await cli(['apply', '--repo', firstApply], { XDG_STATE_HOME: path.join(work, 'xdg-secret') });
  t.regex(r.stderr, /^error: .*secret ssh-client-key: no file .* \[SecretNotFound\]$/m);
});

test('schema prints the JSON Schema of site files', async (t) => {
  const { code, stdout } = await cli(['schema']);
  t.is(code, 0);
  const schema = JSON.parse(stdout) as { oneOf?: unknown[] };
  t.true(Array.isArray(schema.oneOf) && schema.oneOf.length === 7);
});
