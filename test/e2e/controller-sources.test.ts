/**
 * The controller's sources end to end, through the real `underlay controller` process, on a real test host:
 * the site lives in a bare repository served over HTTP by the real `git http-backend`, and commits reach it
 * with `git push` over that HTTP. Webhooks are signed for real and sent to the controller's listener; a
 * site's resync interval is an hour, so whatever starts a reconcile here is the trigger under test. The
 * tests assert what happened and in what order (the controller's log, its API, the node's files, the
 * backend's request log), never how long it took.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WebhookProvider } from '../../controller/watch/webhook-provider.js';
import { startGitHttpBackend, type GitHttpServer } from '../support/git-http-backend.js';
import { deliver, signedDelivery, type Delivery } from '../support/webhook-deliveries.js';
import { startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';
import { git } from './support/e2e-site.js';
import { ssh } from './support/node-checks.js';
import { useOneNodeSite } from './support/one-node-site.js';

const site = useOneNodeSite();
const HOOK_SECRET = 'e2e-webhook-secret-5f0a91';

let scratch: string;
let backend: GitHttpServer;
let remote: string;
let controller: ControllerProcess | undefined;

// After the one-node site's own hook (ava runs `before` hooks concurrently): made on first use.
let served: Promise<void> | undefined;
const ready = (): Promise<void> => (served ??= serve());

async function serve(): Promise<void> {
  scratch = await mkdtemp(path.join(tmpdir(), 'underlay-sources-'));
  const bare = path.join(scratch, 'served', 'site.git');
  execFileSync('git', ['clone', '-q', '--bare', site().repoDir, bare]);
  // Pushes come over HTTP too; http-backend takes them only when the repository allows it.
  execFileSync('git', ['-C', bare, 'config', 'http.receivepack', 'true']);
  backend = await startGitHttpBackend(path.join(scratch, 'served'));
  remote = `${backend.url}/site.git`;
  await writeFile(path.join(site().secretsDir, 'lab-webhook'), `${HOOK_SECRET}\n`, { mode: 0o600 });
}

test.after.always(async () => {
  await controller?.stop('SIGKILL');
  await backend?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

let motds = 0;

/** A commit that changes the node's banner (signed with `signingKey` when given), pushed over HTTP. */
async function push(signingKey?: string): Promise<{ commit: string; motd: string }> {
  await ready();
  const motd = `Pushed over HTTP, change ${++motds}.`;
  const file = path.join(site().repoDir, 'site.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/motd: ".*"/, `motd: "${motd}"`));
  await git(site().repoDir, 'add', 'site.yaml');
  const signing = signingKey === undefined ? [] : ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${signingKey}`];
  await git(site().repoDir, ...signing, 'commit', '-q', ...(signingKey === undefined ? [] : ['-S']), '-m', motd);
  await git(site().repoDir, 'push', '-q', remote, 'main');
  return { commit: await git(site().repoDir, 'rev-parse', 'HEAD'), motd };
}

interface Started {
  controller: ControllerProcess;
  /** The webhook listener's URL for the site, when the site has a webhook. */
  hook: string;
}

/** Starts the controller on the served repository and waits for its first apply of the current head. */
async function start(source: string[], options: { webhook?: WebhookProvider; site?: string[] } = {}): Promise<Started> {
  // A failed assertion ends its test before that test's stop: its controller must not outlive it.
  await controller?.stop('SIGKILL');
  await ready();
  const fields = [`repository: ${remote}`, 'ref: main', ...source, ...(options.webhook ? [`webhook: {provider: ${options.webhook}, secret: lab-webhook}`] : [])];
  const config = await writeControllerConfig(site(), ['  - name: lab', `    source: {${fields.join(', ')}}`, '    interval: 1h', ...(options.site ?? [])].join('\n'), {
    log: 'debug',
    ...(options.webhook ? { extra: ['webhooks: {listen: "127.0.0.1:0"}'] } : {}),
  });
  const running = startController(config);
  controller = running;
  const head = await git(site().repoDir, 'rev-parse', 'HEAD');
  await running.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === head && b.reconciling === false, 'the first apply');
  const hook = options.webhook ? `${String((await running.waitForLog((l) => l.msg === 'webhooks listening', 'the webhook listener')).webhooks)}/hooks/lab` : '';
  return { controller: running, hook };
}

/** Why reconciles were asked for, in the log lines from `from` on. */
const requested = (c: ControllerProcess, from: number): string[] =>
  c.logs.slice(from).filter((l) => l.msg === 'reconcile requested').map((l) => String(l.reason));

const reconciled = (c: ControllerProcess, from: number): Record<string, unknown>[] => c.logs.slice(from).filter((l) => l.msg === 'reconciled');

/** Requests for the repository's contents or refs (a fetch, a clone, a ref listing), not pushes. */
const fetches = (from: number): string[] => backend.requests.slice(from).filter((r) => r.includes('git-upload-pack'));

/** Waits until the controller has logged the reconcile request of a delivery answered 202: a barrier in its log. */
async function webhookRequestLogged(c: ControllerProcess, from: number, count: number): Promise<void> {
  for (let i = 0; i < 600 && requested(c, from).filter((r) => r === 'webhook').length < count; i++) await new Promise((r) => setTimeout(r, 100));
}

async function converged(c: ControllerProcess, commit: string, motd: string): Promise<void> {
  await c.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === commit && b.reconciling === false && b.queueDepth === 0, `${commit} applied`);
  const banner = await ssh(site().hosts, 'node1', 'cat /etc/motd');
  if (!banner.includes(motd)) throw new Error(`node1's /etc/motd is not the pushed one: ${banner}`);
}

for (const provider of ['github', 'gitlab', 'gitea'] as const) {
  test.serial(`a git push over HTTP, then a signed ${provider} webhook, converges the node; the webhook asked for the reconcile`, async (t) => {
    const { controller: c, hook } = await start(['poll: 1h'], { webhook: provider });
    const mark = c.logs.length;
    const pushed = await push();
    const answer = await deliver(hook, signedDelivery(provider, HOOK_SECRET));
    t.is(answer.status, 202, answer.body);
    await converged(c, pushed.commit, pushed.motd);
    t.deepEqual(requested(c, mark), ['webhook'], 'the webhook, and nothing else, asked for the reconcile');
    t.true(reconciled(c, mark).some((l) => l.revision === pushed.commit));
    t.is(await c.stop(), 0);
  });
}

test.serial('a bad HMAC gets 401: no reconcile is requested and nothing is fetched', async (t) => {
  const { controller: c, hook } = await start(['poll: 1h'], { webhook: 'github' });
  const pushed = await push();
  const mark = c.logs.length;
  const seen = backend.requests.length;
  const forged = await deliver(hook, signedDelivery('github', HOOK_SECRET, { signWith: 'not-the-secret' }));
  t.is(forged.status, 401);
  t.false(forged.body.includes(HOOK_SECRET), 'the answer does not repeat the secret');
  const betweenFetches = fetches(seen);
  // A barrier in the controller's own order: a good delivery after the forged one. Its request is the first.
  t.is((await deliver(hook, signedDelivery('github', HOOK_SECRET))).status, 202);
  await converged(c, pushed.commit, pushed.motd);
  t.deepEqual(betweenFetches, [], 'nothing was fetched after the 401, before the good delivery');
  t.deepEqual(requested(c, mark), ['webhook'], 'only the good delivery asked for a reconcile');
  t.true(fetches(seen).length > 0, 'the good delivery did fetch');
  t.is(await c.stop(), 0);
});

test.serial('a replayed delivery is ignored, also after the controller restarted on the same state', async (t) => {
  let { controller: c, hook } = await start(['poll: 1h'], { webhook: 'github' });
  const pushed = await push();
  const delivery: Delivery = signedDelivery('github', HOOK_SECRET);
  let mark = c.logs.length;
  t.is((await deliver(hook, delivery)).status, 202);
  await converged(c, pushed.commit, pushed.motd);
  t.deepEqual(requested(c, mark), ['webhook']);

  const replayAnsweredAsReplay = async (): Promise<void> => {
    mark = c.logs.length;
    const replay = await deliver(hook, delivery);
    t.is(replay.status, 200);
    t.is((JSON.parse(replay.body) as { result: string }).result, 'delivery seen before; ignored');
    // The barrier: a fresh delivery; had the replay asked for a reconcile, its request would come first.
    t.is((await deliver(hook, signedDelivery('github', HOOK_SECRET))).status, 202);
    await webhookRequestLogged(c, mark, 1);
    await c.waitForApi('/api/v1/sites/lab', (b) => b.reconciling === false && b.queueDepth === 0, 'the fresh delivery reconciled');
    t.deepEqual(requested(c, mark), ['webhook'], 'one request: the fresh delivery, not the replay');
  };
  await replayAnsweredAsReplay();

  t.is(await c.stop('SIGTERM'), 0);
  ({ controller: c, hook } = await start(['poll: 1h'], { webhook: 'github' }));
  await replayAnsweredAsReplay();
  t.is(await c.stop(), 0);
});

test.serial('100 pushes in a burst, 100 signed deliveries at once: at most 2 reconciles, and the node ends at the newest commit', async (t) => {
  const { controller: c, hook } = await start(['poll: 1h'], { webhook: 'github' });
  let newest = { commit: '', motd: '' };
  for (let i = 0; i < 100; i++) newest = await push();
  const mark = c.logs.length;
  const deliveries = Array.from({ length: 100 }, () => signedDelivery('github', HOOK_SECRET));
  let statuses = await Promise.all(deliveries.map((d) => deliver(hook, d).then((a) => a.status)));
  // A receiver busy reading 8 bodies answers 503 with Retry-After, and the Git host delivers again: so do we.
  const busy = statuses.filter((s) => s === 503).length;
  for (let round = 0; round < 20 && statuses.includes(503); round++) {
    await new Promise((r) => setTimeout(r, 1000));
    statuses = await Promise.all(deliveries.map((d, i) => (statuses[i] === 503 ? deliver(hook, d).then((a) => a.status) : Promise.resolve(statuses[i]!))));
  }
  t.deepEqual([...new Set(statuses)], [202], 'every delivery was accepted');
  await converged(c, newest.commit, newest.motd);
  const runs = reconciled(c, mark);
  t.true(runs.length >= 1 && runs.length <= 2, `${runs.length} reconciles for 100 pushes`);
  t.is(runs.at(-1)?.revision, newest.commit, 'the last reconcile read the newest commit');
  t.is(requested(c, mark).length, 100, 'every delivery asked; the queue coalesced them');
  t.log(`${runs.length} reconciles; ${busy} of the 100 concurrent deliveries answered 503 at first and were delivered again`);
  t.is(await c.stop(), 0);
});

test.serial('polling picks up a push, with no webhook', async (t) => {
  const { controller: c } = await start(['poll: 2s']);
  const mark = c.logs.length;
  const seen = backend.requests.length;
  const pushed = await push();
  await converged(c, pushed.commit, pushed.motd);
  const reasons = requested(c, mark);
  t.true(reasons.length >= 1 && reasons.every((r) => r === 'poll'), `the poll of the remote asked (${reasons.join(', ')})`);
  t.true(fetches(seen).some((r) => r.startsWith('GET /site.git/info/refs?service=git-upload-pack')), 'the poll listed the refs over HTTP');
  t.is(await c.stop(), 0);
});

function sshKey(name: string): { file: string; pub: string; fingerprint: string } {
  const file = path.join(scratch, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { file, pub: execFileSync('cat', [`${file}.pub`], { encoding: 'utf8' }).trim(), fingerprint };
}

test.serial('with verification on, an unsigned commit and one signed by an unlisted key are refused: not applied, said in status, alerted', async (t) => {
  await ready();
  const alice = sshKey('alice');
  const mallory = sshKey('mallory');
  const allowedSigners = path.join(scratch, 'allowed_signers');
  await writeFile(allowedSigners, `alice@underlay.invalid ${alice.pub}\n`);
  const alerts: Record<string, unknown>[] = [];
  const sink: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => (alerts.push(JSON.parse(body) as Record<string, unknown>), res.end()));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => sink.close(() => resolve())));
  await writeFile(path.join(site().secretsDir, 'alert-hmac'), 'e2e-alert-hmac-key\n', { mode: 0o600 });
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/alerts`;

  const signed = await push(alice.file);
  const { controller: c, hook } = await start(['poll: 1h', `verifySignatures: {allowedSigners: ${allowedSigners}}`], {
    webhook: 'github',
    site: [`    alerts: [{type: webhook, url: "${url}", secret: alert-hmac}]`],
  });
  t.is(await ssh(site().hosts, 'node1', 'cat /etc/motd').then((m) => m.includes(signed.motd)), true, 'the signed commit applied');

  const refusedAt = async (commit: string): Promise<Record<string, unknown>> => {
    t.is((await deliver(hook, signedDelivery('github', HOOK_SECRET))).status, 202);
    return c.waitForApi('/api/v1/sites/lab', (b) => b.revision === commit && b.reconciling === false && b.queueDepth === 0, `${commit} read`);
  };
  const unsigned = await push();
  const afterUnsigned = (await refusedAt(unsigned.commit)) as { lastAppliedRevision: string; lastReconcile: { code?: string; message?: string }; conditions: { type: string; reason: string }[] };
  t.is(afterUnsigned.lastAppliedRevision, signed.commit, 'the unsigned commit is not applied');
  t.is(afterUnsigned.lastReconcile.code, 'SignatureRefused');
  t.regex(afterUnsigned.lastReconcile.message ?? '', /not signed|unsigned|no signature/i, 'the status says why');
  t.true(afterUnsigned.conditions.some((cond) => cond.type === 'Stalled' && cond.reason === 'SignatureRefused'));
  t.true((await ssh(site().hosts, 'node1', 'cat /etc/motd')).includes(signed.motd), 'the node keeps the signed revision');
  for (let i = 0; i < 600 && !alerts.some((a) => a.event === 'SignatureRefused'); i++) await new Promise((r) => setTimeout(r, 100));
  t.like(alerts.find((a) => a.event === 'SignatureRefused'), { site: 'lab', status: 'firing' }, 'the "signature refused" alert reached the sink');

  const forged = await push(mallory.file);
  const afterForged = (await refusedAt(forged.commit)) as { lastAppliedRevision: string; lastReconcile: { code?: string; message?: string } };
  t.is(afterForged.lastAppliedRevision, signed.commit, 'the commit signed by an unlisted key is not applied');
  t.is(afterForged.lastReconcile.code, 'SignatureRefused');
  t.true((afterForged.lastReconcile.message ?? '').includes(mallory.fingerprint), `the status names the key (${afterForged.lastReconcile.message})`);
  t.true((await ssh(site().hosts, 'node1', 'cat /etc/motd')).includes(signed.motd));
  t.false(JSON.stringify(alerts).includes(HOOK_SECRET), 'no secret in an alert');
  t.is(await c.stop(), 0);
});
