/**
 * The remote poll with the timers driven by the test (no sleeping: each round runs when the test ticks),
 * against the real `git http-backend` for the ref listing.
 */
import test from 'ava';
import * as path from 'node:path';
import nodeHttp from 'isomorphic-git/http/node';
import type { Timers } from '../clock.js';
import { httpRemote } from '../source/remote-cache.js';
import { SourceError } from '../source/source-error.js';
import { intervalMs, pollRemoteRef } from './remote-ref-poll.js';
import { remoteRefResolver } from './remote-ref.js';
import { startGitHttpBackend, type GitHttpServer } from '../../test/support/git-http-backend.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

interface Round {
  ms: number;
  task: () => Promise<void>;
  stopped: boolean;
}

/** Timers whose rounds run only when the test calls tick(). */
function manualTimers(): { timers: Timers; tick(): Promise<void>; intervals: number[]; live(): number } {
  const rounds: Round[] = [];
  const live = (): Round[] => rounds.filter((r) => !r.stopped);
  return {
    timers: {
      every(ms, task) {
        const round: Round = { ms, task, stopped: false };
        rounds.push(round);
        return () => (round.stopped = true);
      },
      sleep: () => Promise.reject(new Error('the poll never sleeps')),
    },
    async tick() {
      // The first round is scheduled after the baseline listing, which is a real request.
      for (let i = 0; i < 10_000 && live().length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
      const [round, ...more] = live();
      if (round === undefined || more.length > 0) throw new Error(`expected one scheduled round, have ${live().length}`);
      await round.task();
    },
    get intervals() {
      return rounds.map((r) => r.ms);
    },
    live: () => live().length,
  };
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
  const time = manualTimers();
  const seen: string[] = [];
  const resolve = remoteRefResolver(httpRemote(r.url, nodeHttp), 'main');
  const poll = pollRemoteRef({ every: 60_000, jitter: 0.05, timers: time.timers, random: () => 0.5, resolve }, (oid) => seen.push(oid));
  t.teardown(() => poll.close());

  await time.tick();
  t.deepEqual(seen, [], 'an unmoved ref triggers nothing');
  const pushed = pushEdit(r, 2);
  await time.tick();
  t.deepEqual(seen, [pushed]);
  await time.tick();
  t.deepEqual(seen, [pushed], 'the same commit is not reported twice');
  t.deepEqual(time.intervals, [60_000, 60_000, 60_000, 60_000]);
  t.false(
    r.server.requests.some((req) => req.startsWith('POST')),
    'polling lists refs only; it never fetches objects',
  );
});

test('each interval is drawn afresh within every ± jitter', async (t) => {
  const time = manualTimers();
  const draws = [0, 0.999999, 0.25, 0.5];
  const poll = pollRemoteRef(
    { every: 60_000, jitter: 0.05, timers: time.timers, random: () => draws.shift() ?? 0.5, resolve: () => Promise.resolve('a'), since: 'a' },
    () => t.fail(),
  );
  for (let i = 0; i < 3; i++) await time.tick();
  await poll.close();
  t.deepEqual(time.intervals, [57_000, 63_000, 58_500, 60_000]);
  t.is(intervalMs({ every: 1000, jitter: 5, random: () => 0 }), 1, 'a jitter past 100 % is clamped, never a negative interval');
});

test('since: a move between the daemon reading the ref and the first round is reported', async (t) => {
  const time = manualTimers();
  const seen: string[] = [];
  const poll = pollRemoteRef({ every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve: () => Promise.resolve('new'), since: 'old' }, (oid) => seen.push(oid));
  await time.tick();
  await poll.close();
  t.deepEqual(seen, ['new']);
});

test('a failed round is reported and the next round still runs', async (t) => {
  const time = manualTimers();
  const answers: (string | Error)[] = [new Error('server down'), 'b'];
  const errors: unknown[] = [];
  const seen: string[] = [];
  const resolve = (): Promise<string> => {
    const next = answers.shift() ?? 'b';
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  const poll = pollRemoteRef({ every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve, since: 'a', onError: (e) => errors.push(e) }, (oid) => seen.push(oid));
  await time.tick();
  t.deepEqual(seen, []);
  t.is((errors[0] as Error).message, 'server down');
  await time.tick();
  await poll.close();
  t.deepEqual(seen, ['b'], 'the move is still seen after the failed round');
});

test('a deleted ref triggers nothing; when it comes back, it does', async (t) => {
  const time = manualTimers();
  const answers = [undefined, 'b'];
  const seen: string[] = [];
  const poll = pollRemoteRef({ every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve: () => Promise.resolve(answers.shift()), since: 'a' }, (oid) => seen.push(oid));
  await time.tick();
  t.deepEqual(seen, []);
  await time.tick();
  await poll.close();
  t.deepEqual(seen, ['b']);
});

test('close stops the rounds and drops an answer that arrives after it', async (t) => {
  const time = manualTimers();
  let answer: ((oid: string) => void) | undefined;
  const seen: string[] = [];
  const poll = pollRemoteRef(
    { every: 1000, jitter: 0, timers: time.timers, random: () => 0.5, resolve: () => new Promise((resolve) => (answer = resolve)), since: 'a' },
    (oid) => seen.push(oid),
  );
  const round = time.tick();
  for (let i = 0; i < 10_000 && answer === undefined; i++) await new Promise((resolve) => setImmediate(resolve));
  if (answer === undefined) throw new Error('the round never asked for the ref');
  const closed = poll.close();
  answer('b');
  await Promise.all([round, closed]);
  t.deepEqual(seen, []);
  t.is(time.live(), 0, 'no round is scheduled after close');
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
