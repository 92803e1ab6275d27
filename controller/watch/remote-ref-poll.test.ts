/**
 * The remote poll with the timers driven by the test (no sleeping: each round runs when the test moves time),
 * against the real `git http-backend` for the ref listing.
 */
import test from 'ava';
import * as path from 'node:path';
import nodeHttp from 'isomorphic-git/http/node';
import { httpRemote } from '../source/remote-cache.js';
import { SourceError } from '../source/source-error.js';
import { intervalMs, pollRemoteRef } from './remote-ref-poll.js';
import { remoteRefResolver } from './remote-ref.js';
import { startGitHttpBackend, type GitHttpServer } from '../../test/support/git-http-backend.js';
import { manualTime, type ManualTime } from '../../test/support/manual-timers.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

/** Until the poll has its next round scheduled (the baseline listing before it is a real request). */
async function scheduled(time: ManualTime): Promise<void> {
  for (let i = 0; i < 10_000 && time.pending().length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
  if (time.pending().length !== 1) throw new Error(`expected one scheduled round, have ${time.pending().length}`);
}

async function servedRepo(): Promise<{ server: GitHttpServer; work: string; bare: string; url: string }> {
  const { dir: work } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const root = tempDir('underlay-served-');
  const bare = path.join(root, 'site.git');
  git(root, 'clone', '-q', '--bare', work, bare);
  const server = await startGitHttpBackend(root);
  return { server, work, bare, url: `${server.url}/site.git` };
}

function pushEdit(r: { work: string; bare: string }, n: number): string {
  writeFiles(r.work, { 'site.yaml': `v: ${n}\n` });
  const commit = commitAll(r.work, `edit ${n}`);
  git(r.work, 'push', '-q', r.bare, 'main');
  return commit;
}

test('a push to the served repository is picked up on the next round, and only once', async (t) => {
  const r = await servedRepo();
  t.teardown(() => r.server.close());
  const time = manualTime();
  const seen: string[] = [];
  const resolve = remoteRefResolver(httpRemote(r.url, nodeHttp), 'main');
  const poll = pollRemoteRef({ every: 60_000, jitter: 0.05, timers: time.timers, random: () => 0.5, resolve }, (oid) => seen.push(oid));
  t.teardown(() => poll.close());

  await scheduled(time);
  await time.advance(60_000);
  t.deepEqual(seen, [], 'an unmoved ref triggers nothing');
  const pushed = pushEdit(r, 2);
  await time.advance(60_000);
  t.deepEqual(seen, [pushed]);
  await time.advance(60_000);
  t.deepEqual(seen, [pushed], 'the same commit is not reported twice');
  t.deepEqual(time.pending(), [240_000], 'one round at a time, each a minute after the last');
  t.false(
    r.server.requests.some((req) => req.startsWith('POST')),
    'polling lists refs only; it never fetches objects',
  );
});

test('each interval is drawn afresh within every ± jitter', async (t) => {
  const time = manualTime();
  const draws = [0, 0.999999, 0.25, 0.5];
  const poll = pollRemoteRef(
    { every: 60_000, jitter: 0.05, timers: time.timers, random: () => draws.shift() ?? 0.5, resolve: () => Promise.resolve('a'), since: 'a' },
    () => t.fail(),
  );
  const next: number[] = [];
  await scheduled(time);
  for (const step of [57_000, 63_000, 58_500]) {
    next.push(...time.pending());
    await time.advance(step);
  }
  next.push(...time.pending());
  await poll.close();
  t.deepEqual(next, [57_000, 120_000, 178_500, 238_500], 'intervals of 57 s, 63 s, 58.5 s, 60 s');
  t.is(intervalMs({ every: 1000, jitter: 5, random: () => 0 }), 1, 'a jitter past 100 % is clamped, never a negative interval');
});

test('since: a move between the daemon reading the ref and the first round is reported', async (t) => {
  const time = manualTime();
  const seen: string[] = [];
  const poll = pollRemoteRef({ every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve: () => Promise.resolve('new'), since: 'old' }, (oid) => seen.push(oid));
  await scheduled(time);
  await time.advance(1000);
  await poll.close();
  t.deepEqual(seen, ['new']);
});

test('a failed round is reported and the next round still runs', async (t) => {
  const time = manualTime();
  const answers: (string | Error)[] = [new Error('server down'), 'b'];
  const errors: unknown[] = [];
  const seen: string[] = [];
  const resolve = (): Promise<string> => {
    const next = answers.shift() ?? 'b';
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  const poll = pollRemoteRef({ every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve, since: 'a', onError: (e) => errors.push(e) }, (oid) => seen.push(oid));
  await scheduled(time);
  await time.advance(1000);
  t.deepEqual(seen, []);
  t.is((errors[0] as Error).message, 'server down');
  await time.advance(1000);
  await poll.close();
  t.deepEqual(seen, ['b'], 'the move is still seen after the failed round');
});

test('a deleted ref triggers nothing; when it comes back, it does', async (t) => {
  const time = manualTime();
  const answers = [undefined, 'b'];
  const seen: string[] = [];
  const poll = pollRemoteRef({ every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve: () => Promise.resolve(answers.shift()), since: 'a' }, (oid) => seen.push(oid));
  await scheduled(time);
  await time.advance(1000);
  t.deepEqual(seen, []);
  await time.advance(1000);
  await poll.close();
  t.deepEqual(seen, ['b']);
});

test('close stops the rounds and drops an answer that arrives after it', async (t) => {
  const time = manualTime();
  let answer: ((oid: string) => void) | undefined;
  const seen: string[] = [];
  const poll = pollRemoteRef(
    { every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve: () => new Promise((resolve) => (answer = resolve)), since: 'a' },
    (oid) => seen.push(oid),
  );
  await scheduled(time);
  const round = time.advance(1000);
  for (let i = 0; i < 10_000 && answer === undefined; i++) await new Promise((resolve) => setImmediate(resolve));
  if (answer === undefined) throw new Error('the round never asked for the ref');
  const closed = poll.close();
  answer('b');
  await Promise.all([round, closed]);
  t.deepEqual(seen, []);
  t.deepEqual(time.pending(), [], 'no round is scheduled after close');
});

test('remoteRefResolver reads branches, peeled tags, HEAD, full ref names and commit ids from the advertisement', async (t) => {
  const r = await servedRepo();
  t.teardown(() => r.server.close());
  const first = git(r.work, 'rev-parse', 'HEAD');
  git(r.work, 'tag', '-a', '-m', 'release', 'v1');
  git(r.work, 'branch', 'feature');
  const second = pushEdit(r, 2);
  git(r.work, 'push', '-q', r.bare, 'v1', 'feature');
  const remote = httpRemote(r.url, nodeHttp);
  const at = (ref: string | undefined): Promise<string | undefined> => remoteRefResolver(remote, ref)();

  t.is(await at('main'), second);
  t.is(await at(undefined), second, 'HEAD of the remote');
  t.is(await at('v1'), first, 'an annotated tag is peeled to its commit');
  t.is(await at('refs/heads/feature'), first);
  t.is(await at('nope'), undefined);
  t.is(await at(first.toUpperCase()), first, 'a commit id never moves');
  t.is(await at(first.slice(0, 8)), first.slice(0, 8));
});

test('remoteRefResolver fails as FetchFailed when the server does not answer', async (t) => {
  const r = await servedRepo();
  await r.server.close();
  const err = await t.throwsAsync(remoteRefResolver(httpRemote(r.url, nodeHttp), 'main')(), { instanceOf: SourceError });
  t.is(err?.code, 'FetchFailed');
});
