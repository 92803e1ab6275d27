/**
 * source-events: how soon each of the controller's sources says "re-read the ref", the part of "commit to
 * converged" that is theirs (the daemon's queue, the read and the apply come after): a local commit to the
 * watch's onChange, a signed webhook delivery to onPush (over loopback HTTP), one poll round (listing the
 * ref from a real `git http-backend`), and one commit-signature check (ssh-keygen -Y). Real git, real HTTP.
 * Writes the "source-events" section of bench/RESULTS.md.   npm run bench:sources
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import nodeHttp from 'isomorphic-git/http/node';
import { systemClock } from '../../controller/clock.js';
import { httpRemote } from '../../controller/source/remote-cache.js';
import { verifyCommitSignature } from '../../controller/watch/commit-signature.js';
import { watchLocalRepository } from '../../controller/watch/local-repository-watch.js';
import { remoteRefResolver } from '../../controller/watch/remote-ref.js';
import { webhookHandler } from '../../controller/watch/webhook-handler.js';
import { startWebhookListener } from '../../controller/watch/webhook-listener.js';
import { startGitHttpBackend } from '../../test/support/git-http-backend.js';
import { git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';
import { deliver, signedDelivery } from '../../test/support/webhook-deliveries.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = 30;

function quantiles(ms: number[]): { median: number; p95: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95) };
}

/** From the start of `git commit` to onChange, and git's own run time beside it. */
async function localWatch(): Promise<{ event: number[]; git: number[] }> {
  const { dir } = makeRepo({ 'site.yaml': 'v: 0\n' });
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'B', GIT_AUTHOR_EMAIL: 'b@example.invalid', GIT_COMMITTER_NAME: 'B', GIT_COMMITTER_EMAIL: 'b@example.invalid' };
  let notify: () => void = () => undefined;
  const w = await watchLocalRepository(join(dir, '.git'), () => notify());
  const event: number[] = [];
  const gitMs: number[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    writeFiles(dir, { 'site.yaml': `v: ${i}\n` });
    git(dir, 'add', '-A');
    const seen = new Promise<number>((resolve) => (notify = () => resolve(performance.now())));
    const start = performance.now();
    const exited = new Promise<number>((resolve, reject) => execFile('git', ['commit', '-q', '-m', `c${i}`], { cwd: dir, env }, (err) => (err ? reject(err) : resolve(performance.now()))));
    const [at, done] = await Promise.all([seen, exited]);
    event.push(at - start);
    gitMs.push(done - start);
    // Let the commit's trailing events pass before the next one.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await w.close();
  return { event, git: gitMs };
}

async function webhook(): Promise<number[]> {
  let notify: () => void = () => undefined;
  const handler = webhookHandler({ sites: () => [{ site: 'lab', provider: 'github', secret: 'bench' }], clock: systemClock, ratePerMinute: 100_000, onPush: () => notify() });
  const listener = await startWebhookListener({ host: '127.0.0.1', port: 0 }, handler);
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS * 5; i++) {
    const delivery = signedDelivery('github', 'bench');
    const seen = new Promise<number>((resolve) => (notify = () => resolve(performance.now())));
    const start = performance.now();
    await deliver(`${listener.url}/hooks/lab`, delivery);
    ms.push((await seen) - start);
  }
  await listener.close();
  return ms;
}

async function pollRound(): Promise<number[]> {
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  const root = tempDir('underlay-bench-served-');
  git(root, 'clone', '-q', '--bare', dir, join(root, 'site.git'));
  const server = await startGitHttpBackend(root);
  const resolve = remoteRefResolver(httpRemote(`${server.url}/site.git`, nodeHttp), 'main');
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await resolve();
    ms.push(performance.now() - start);
  }
  await server.close();
  return ms;
}

async function signatureCheck(): Promise<number[]> {
  const keys = tempDir('underlay-bench-keys-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'k')]);
  const allowedSigners = join(keys, 'allowed');
  writeFileSync(allowedSigners, `ops ${readFileSync(join(keys, 'k.pub'), 'utf8')}`);
  const { dir } = makeRepo({ 'site.yaml': 'v: 1\n' });
  writeFiles(dir, { 'site.yaml': 'v: 2\n' });
  git(dir, 'add', '-A');
  git(dir, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(keys, 'k')}`, 'commit', '-q', '-S', '-m', 'signed');
  const commit = git(dir, 'rev-parse', 'HEAD');
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    const verdict = await verifyCommitSignature({ gitDir: join(dir, '.git'), commit, allowedSigners });
    if (!verdict.verified) throw new Error(verdict.reason);
    ms.push(performance.now() - start);
  }
  return ms;
}

const loadStart = loadavg()[0]!;
const watch = await localWatch();
const rows: [string, number[], string][] = [
  ['local commit → watch onChange', watch.event, `from the start of \`git commit\` (which itself took median ${quantiles(watch.git).median.toFixed(1)} ms)`],
  ['signed webhook → onPush', await webhook(), 'from sending the request (new connection each time)'],
  ['one poll round (ref listing)', await pollRound(), 'GET info/refs from git http-backend'],
  ['one signature check', await signatureCheck(), 'read the commit, 3 × ssh-keygen -Y'],
];
const loadEnd = loadavg()[0]!;
removeTempDirs();

const table = [
  '| event | samples | median ms | p95 ms | measured |',
  '|---|---:|---:|---:|---|',
  ...rows.map(([name, ms, how]) => {
    const q = quantiles(ms);
    return `| ${name} | ${ms.length} | ${q.median.toFixed(1)} | ${q.p95.toFixed(1)} | ${how} |`;
  }),
].join('\n');
process.stdout.write(`${table}\nload ${loadStart.toFixed(2)} -> ${loadEnd.toFixed(2)}\n`);

const section = `## source-events

\`npm run bench:sources\` (bench/source-events/run.ts): how soon each source of the controller says "re-read the
ref" (the daemon's queue, the fetch and the apply come after it; "commit to converged" is the controller's
figure). Real git, a real \`git http-backend\`, loopback HTTP, real ssh-keygen. Measured
${new Date().toISOString().slice(0, 10)} on the shared 2-core machine, 1-minute load ${loadStart.toFixed(2)} at the start and
${loadEnd.toFixed(2)} at the end.

${table}
`;
const results = join(here, '..', 'RESULTS.md');
const text = existsSync(results) ? readFileSync(results, 'utf8') : '# Benchmark results\n';
const start = text.indexOf('## source-events\n');
const next = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
writeFileSync(results, start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${next < 0 ? '' : text.slice(next + 1)}`);
