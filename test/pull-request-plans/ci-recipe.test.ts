/**
 * The CI recipes of docs/ci.md, run as written: their YAML blocks are read from the document, and the
 * plan-and-post commands of each (GitHub's step `plan`, GitLab's job `underlay-plan`) run in bash in a clone
 * of a real repository (a bare origin with `main` and a pull-request branch), with the built `underlay`
 * (bin/underlay.js: run `npm run build` first), real curl and jq. No GitHub or GitLab can be reached from a
 * test, so a local HTTP server stands in for their REST APIs and for the controller's inventory endpoint: a
 * FAKE, and the only one here; it checks each request's token and keeps the comments it was given.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { emptyInventory } from '../../controller/model/observed.js';
import { renderInventorySnapshot } from '../../controller/inventory/snapshot.js';
import { planRevision } from '../../controller/pipeline/plan-revision.js';
import { registry } from '../../reconcilers/registry.js';
import { convergedInventory } from '../support/converged-inventory.js';
import { commitAll, git, removeTempDirs, tempDir } from '../support/git-repo.js';
import { revisionFromDir } from '../support/revision-from-dir.js';

const root = path.resolve(import.meta.dirname, '../..');
const scenario = path.join(import.meta.dirname, 'one-template-forty-nodes');
const run = promisify(execFile);
test.after.always(removeTempDirs);

/** The YAML blocks of docs/ci.md, in order: GitHub's workflow, then GitLab's job. */
function recipes(): { github: Record<string, unknown>; gitlab: Record<string, unknown> } {
  const doc = readFileSync(path.join(root, 'docs/ci.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);
  const github = blocks.find((b) => 'jobs' in b);
  const gitlab = blocks.find((b) => 'underlay-plan' in b);
  if (!github || !gitlab) throw new Error('docs/ci.md must hold a GitHub workflow and a GitLab job `underlay-plan`');
  return { github, gitlab };
}

interface Comment {
  id: number;
  body: string;
}

/** Stands in for the controller's API, GitHub's and GitLab's: keeps comments per platform, refuses a wrong token. */
function platforms(snapshot: string) {
  const kept: Record<'github' | 'gitlab', Comment[]> = { github: [{ id: 1, body: 'LGTM' }], gitlab: [{ id: 1, body: 'looks fine' }] };
  const requests: string[] = [];
  const reply = (res: ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  // GitHub takes JSON, GitLab a form (as the recipes send them); each is read the way its platform reads it.
  const bodyOf = async (req: IncomingMessage, platform: 'github' | 'gitlab') => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    if (platform === 'gitlab') return req.headers['content-type'] === 'application/x-www-form-urlencoded' ? (new URLSearchParams(text).get('body') ?? '') : '';
    return req.headers['content-type'] === 'application/json' ? (JSON.parse(text) as { body: string }).body : '';
  };
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    if (url.pathname === '/api/v1/sites/lab/inventory') return req.headers.authorization === 'Bearer api-token' ? void res.end(snapshot) : reply(res, 401, {});
    const platform = url.pathname.startsWith('/gh/') ? 'github' : 'gitlab';
    const authorised = platform === 'github' ? req.headers.authorization === 'Bearer gh-token' : req.headers['private-token'] === 'gl-token';
    if (!authorised) return reply(res, 401, { message: 'Bad credentials' });
    const comments = kept[platform];
    const id = Number(/\/(\d+)$/.exec(url.pathname)?.[1]);
    if (req.method === 'GET') return reply(res, 200, comments);
    if (req.method === 'POST') return reply(res, 201, comments[comments.push({ id: comments.length + 1, body: await bodyOf(req, platform) }) - 1]);
    const comment = comments.find((c) => c.id === id);
    if (!comment) return reply(res, 404, {});
    comment.body = await bodyOf(req, platform);
    return reply(res, 200, comment);
  }
  const server = createServer((req, res) => void route(req, res).catch((e: unknown) => reply(res, 500, { error: String(e) })));
  return { server, kept, requests };
}

/** A bare origin with `main` (the base) and `pr` (the head), as the platform holds them; returns both commits. */
function originRepo(): { origin: string; base: string; head: string } {
  const work = tempDir('underlay-ci-work-');
  git(work, 'init', '-q');
  cpSync(path.join(scenario, 'base'), work, { recursive: true });
  const base = commitAll(work, 'site');
  git(work, 'checkout', '-q', '-b', 'pr');
  cpSync(path.join(scenario, 'head'), work, { recursive: true });
  const head = commitAll(work, 'ntp2');
  const origin = tempDir('underlay-ci-origin-');
  git(origin, 'clone', '-q', '--bare', work, '.');
  return { origin, base, head };
}

/** The snapshot the controller would publish: the base applied to every node. */
function baseSnapshot(): string {
  const applied = planRevision(revisionFromDir(path.join(scenario, 'base')), emptyInventory(), { registry });
  return renderInventorySnapshot(convergedInventory(applied.desired!));
}

/** `underlay` on PATH, as `npm install --global` leaves it. */
function underlayOnPath(): string {
  const bin = tempDir('underlay-ci-bin-');
  writeFileSync(path.join(bin, 'underlay'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(root, 'bin/underlay.js'))} "$@"\n`);
  chmodSync(path.join(bin, 'underlay'), 0o755);
  return `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`;
}

async function bash(script: string, cwd: string, env: Record<string, string>): Promise<void> {
  await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env: { HOME: tempDir('underlay-ci-home-'), ...env } });
}

const fake = platforms(baseSnapshot());
const listening = new Promise<string>((resolve) => fake.server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`)));
test.after.always(() => fake.server.close());
const { origin, base } = originRepo();
const PATH = underlayOnPath();

function checkComment(t: import('ava').ExecutionContext, comments: Comment[]): void {
  t.is(comments.length, 2, 'one plan comment beside the one that was there');
  const body = comments[1]!.body;
  t.true(body.startsWith('<!-- underlay-plan -->\n## underlay plan for this pull request:'));
  t.true(body.includes('**This pull request: 80 new, 0 changed, 0 gone, on 40 target(s).**'));
  t.true(body.includes('| new | node01…node40 (40) | ~ update | `file:/etc/ntp.conf` |'));
  t.true(body.includes('-server ntp1.example.net iburst\n+server ntp2.example.net iburst'), 'the diff of the text');
}

test.serial('GitHub Actions: the step `plan` of docs/ci.md posts the plan, and edits it on the next push', async (t) => {
  const url = await listening;
  const step = ((recipes().github.jobs as Record<string, { steps: { id?: string; run: string; env: Record<string, string>; shell?: string }[] }>).plan!.steps).find((s) => s.id === 'plan')!;
  t.is(step.shell, 'bash');
  // What Actions puts in the step's env from the contexts its `env:` names, and what it sets itself.
  const contexts: Record<string, string> = { BASE_SHA: base, PR_NUMBER: '7', GITHUB_TOKEN: 'gh-token', UNDERLAY_API: url, UNDERLAY_SITE: 'lab', UNDERLAY_API_TOKEN: 'api-token' };
  t.deepEqual(Object.keys(step.env).sort(), Object.keys(contexts).sort());
  const checkout = tempDir('underlay-ci-gh-');
  git(checkout, 'clone', '-q', origin, '.');
  git(checkout, 'checkout', '-q', '--detach', 'origin/pr');
  const env = { ...contexts, PATH, GITHUB_API_URL: `${url}/gh`, GITHUB_REPOSITORY: 'acme/site' };
  await bash(step.run, checkout, env);
  checkComment(t, fake.kept.github);
  const first = fake.kept.github[1]!.body;
  fake.kept.github[1]!.body = '<!-- underlay-plan -->\nan older plan';
  await bash(step.run, checkout, env);
  t.is(fake.kept.github.length, 2, 'edited, not posted again');
  t.is(fake.kept.github[1]!.body, first);
  t.true(fake.requests.includes('PATCH /gh/repos/acme/site/issues/comments/2'));
});

test.serial('GitLab CI: the job `underlay-plan` of docs/ci.md fetches the target branch, posts the plan as a note, and edits it next time', async (t) => {
  const url = await listening;
  const job = recipes().gitlab['underlay-plan'] as { script: string[]; rules: { if: string }[] };
  t.deepEqual(job.rules, [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }]);
  const checkout = tempDir('underlay-ci-gl-');
  // GitLab's runner clones the merge request's head only; the job fetches the target branch itself.
  mkdirSync(checkout, { recursive: true });
  git(checkout, 'init', '-q');
  git(checkout, 'remote', 'add', 'origin', origin);
  git(checkout, 'fetch', '-q', origin, 'pr');
  git(checkout, 'checkout', '-q', '--detach', 'FETCH_HEAD');
  const env = {
    PATH,
    UNDERLAY_API: url,
    UNDERLAY_SITE: 'lab',
    UNDERLAY_API_TOKEN: 'api-token',
    UNDERLAY_GITLAB_TOKEN: 'gl-token',
    CI_API_V4_URL: `${url}/api/v4`,
    CI_PROJECT_ID: '42',
    CI_MERGE_REQUEST_IID: '7',
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
  };
  const script = job.script.join('\n');
  await bash(script, checkout, env);
  checkComment(t, fake.kept.gitlab);
  t.true(fake.requests.includes('POST /api/v4/projects/42/merge_requests/7/notes'));
  await bash(script, checkout, env);
  t.is(fake.kept.gitlab.length, 2, 'edited, not posted again');
  t.true(fake.requests.includes('PUT /api/v4/projects/42/merge_requests/7/notes/2'));
});
