/**
 * A webhook only says "re-read": a real push to a bare repository served by `git http-backend`, then signed
 * deliveries whose payloads name other commits (an old one, one that exists nowhere). Whatever they say,
 * the revision read after onPush is the ref's newest commit, so a replayed or stale payload cannot roll the
 * site back.
 */
import test from 'ava';
import * as path from 'node:path';
import { systemClock } from '../clock.js';
import { readRevision } from '../source/git-source.js';
import { webhookHandler } from './webhook-handler.js';
import { startWebhookListener } from './webhook-listener.js';
import { startGitHttpBackend } from '../../test/support/git-http-backend.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';
import { deliver, signedDelivery } from '../../test/support/webhook-deliveries.js';

test.after.always(removeTempDirs);

test('after a push and its webhook the newest commit is read; an old payload, replayed or re-signed, reads it too', async (t) => {
  const { dir: work, commit: first } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const root = tempDir('underlay-served-');
  const bare = path.join(root, 'site.git');
  git(root, 'clone', '-q', '--bare', work, bare);
  const server = await startGitHttpBackend(root);
  t.teardown(() => server.close());
  const repo = `${server.url}/site.git`;
  const cacheDir = tempDir('underlay-cache-');

  // What the daemon does on a push, reduced to its read: the commit comes from the ref.
  const read: string[] = [];
  let reads = Promise.resolve();
  const onPush = (): void => {
    reads = reads.then(async () => void read.push((await readRevision({ repo, ref: 'main', cacheDir })).commit));
  };
  const listener = await startWebhookListener({ host: '127.0.0.1', port: 0 }, webhookHandler({ sites: () => [{ site: 'lab', provider: 'github', secret: 's' }], clock: systemClock, onPush }));
  t.teardown(() => listener.close());
  const hook = `${listener.url}/hooks/lab`;
  const payloadNaming = (commit: string): string => JSON.stringify({ ref: 'refs/heads/main', after: commit });

  writeFiles(work, { 'site.yaml': 'v: 2\n' });
  const second = commitAll(work, 'v2');
  git(work, 'push', '-q', bare, 'main');
  const firstDelivery = signedDelivery('github', 's', { body: payloadNaming(second) });
  t.is((await deliver(hook, firstDelivery)).status, 202);
  await reads;

  writeFiles(work, { 'site.yaml': 'v: 3\n' });
  const third = commitAll(work, 'v3');
  git(work, 'push', '-q', bare, 'main');
  t.is((await deliver(hook, signedDelivery('github', 's', { body: payloadNaming(third) }))).status, 202);
  await reads;
  t.is((await deliver(hook, firstDelivery)).status, 200, 'the replay is dropped');
  t.is((await deliver(hook, signedDelivery('github', 's', { body: payloadNaming(first) }))).status, 202, 'a fresh delivery naming the first commit');
  await reads;

  t.deepEqual(read, [second, third, third], 'every read is the ref at that moment; no payload chose a commit');
});
