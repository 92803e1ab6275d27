/**
 * A rollout of 30 real runit test hosts with the real CLI: `maxUnavailable: 10%` (3 nodes a batch, 10
 * batches), each node's config file restarting its service. Shared hosts, serial tests:
 * - a bad revision breaks the service on one node of batch 2: the breaker trips (budget 0), the rollout
 *   halts after batch 2, RolloutHalted names the node with its gate and output, later batches are not
 *   touched, and apply of the same revision is refused, pointing to `underlay rollout resume`;
 * - the fix (a new commit) starts a new rollout; paused by the operator while it runs, it stops before its
 *   next batch; resumed, the next apply carries on and no node is restarted twice;
 * - SIGKILLed mid-rollout, the next apply resumes after the batches done, and again no node restarts twice.
 * The site is test/support/rollout-site.ts: every service start leaves a line on its node, so restarts are
 * counted, not timed.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestHosts, type TestHostCluster } from '../hosts/harness.js';
import { runCli, underlayBin, type CliResult } from './support/e2e-site.js';
import { ROLLOUT_CONFIG, ROLLOUT_STARTS, writeRolloutSite, type RolloutSite } from '../support/rollout-site.js';
import { onHost } from './support/node-checks.js';
import { byCodeUnit } from '../../controller/model/order.js';

const COUNT = 30;
const CONFIG = ROLLOUT_CONFIG;
const STARTS = ROLLOUT_STARTS;

let hosts: TestHostCluster | undefined;
let work = '';
const h = (): TestHostCluster => {
  if (!hosts) throw new Error('the test hosts did not come up');
  return hosts;
};
const repo = (): string => path.join(work, 'site');
const flags = (): string[] => ['--repo', repo(), '--state-dir', path.join(work, 'state'), '--secrets-dir', path.join(work, 'secrets'), '--no-color'];
const names = (): string[] => h().hosts.map((x) => x.name).sort(byCodeUnit);

let site: RolloutSite | undefined;
const commit = (message: string, version: string, broken?: string, first?: string[]): Promise<string> => site!.commit(message, version, broken, first);
/** The node test 1 breaks: still failing its gate until the fix reaches it. */
let victim = '';

const underlay = (args: string[]): Promise<CliResult> => runCli([...args, ...(args[0] === 'rollout' ? ['--state-dir', path.join(work, 'state')] : flags())], 300_000);

/** `underlay apply` as a child, with each output line handed to `onLine` (which may stop it). */
function applyWatching(onLine: (line: string, child: ReturnType<typeof spawn>) => void): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [underlayBin, 'apply', ...flags()], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line, child);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr, signal });
    });
  });
}

const versionOf = (n: string): string => readFileSync(onHost(h(), n, CONFIG), 'utf8').split('\n')[0]!;
const startsOf = (n: string, version: string): number => {
  const file = onHost(h(), n, STARTS);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l === `start version ${version}`).length : 0;
};
const batchesOf = (stdout: string): number[] => [...stdout.matchAll(/^ {2}rollout app batch (\d+) /gm)].map((m) => Number(m[1]));

test.before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-rollout-'));
  hosts = await createTestHosts({ count: COUNT, namePrefix: 'n' });
  site = await writeRolloutSite(work, h());
  // The first install creates the service everywhere at once: nothing runs yet, so nothing is disruptive.
  const first = await underlay(['apply']);
  if (first.code !== 0) throw new Error(`first apply failed: ${first.stdout}\n${first.stderr}`);
});

test.after.always(async () => {
  await hosts?.teardown();
  if (work !== '') await rm(work, { recursive: true, force: true });
});

test.serial('a failure in batch 2 trips the breaker: halted after batch 2, RolloutHalted names the node, its gate and output; the rest untouched; apply refused', async (t) => {
  const all = names();
  const batch = (i: number) => all.slice((i - 1) * 3, i * 3);
  victim = batch(2)[1]!;
  await commit(`version 2, broken on ${victim}`, '2', victim);
  const plan = await underlay(['plan']);
  t.regex(plan.stdout, /app: 10 batch\(es\) by name, maxUnavailable 3 of 30/);
  t.regex(plan.stdout, new RegExp(`batch 2: ${batch(2).join(', ')}  down at once 3 of 30 \\(10%\\)`));

  const apply = await underlay(['apply']);
  t.is(apply.code, 1, apply.stdout);
  t.deepEqual(batchesOf(apply.stdout), [1, 2]);
  t.regex(apply.stderr, new RegExp(`RolloutHalted \\(FailureBudgetExceeded\\): rollout of cluster app halted: 1 node\\(s\\) failed \\(${victim}\\), failure budget is 0; 8 remaining batch\\(es\\) not started \\[${victim}: .*app-config (timed out|failed) ".*ro-app: unknown flag --brokn.*"\\]`));
  for (const n of [...batch(1), ...batch(2)]) t.is(versionOf(n), 'version 2', `${n} rolled out`);
  for (const n of all.slice(6)) {
    t.is(versionOf(n), 'version 1', `${n} untouched`);
    t.is(startsOf(n, '2'), 0);
  }

  const status = await underlay(['rollout', 'status', '--cluster', 'app']);
  t.is(status.code, 1);
  t.regex(status.stdout, /: halted \(FailureBudgetExceeded\)\n {2}batches done: 1, 2\n {2}failure budget: 1 of 0 used\n/);
  t.regex(status.stdout, new RegExp(`failed in batch 2: ${victim}: .*app-config`));
  const again = await underlay(['apply']);
  t.is(again.code, 1);
  t.regex(again.stderr, /is halted \(FailureBudgetExceeded\) after batch\(es\) 1, 2; .*run `underlay rollout resume --cluster app`/);
});

test.serial('the fix starts a new rollout; paused by the operator it stops before its next batch; resumed, it carries on and restarts no node twice', async (t) => {
  // The broken node is down: a batch without it would make 4 down (the check before each batch counts it),
  // so the fix rolls it out first, in a batch with room for it.
  await commit('version 3, fixed, the broken node first', '3', 'none', [victim]);
  let asked: Promise<CliResult> | undefined;
  const paused = await applyWatching((line) => {
    if (asked === undefined && /^ {2}rollout app batch 1 .*: healthy(: [^;]+)?$/.test(line)) asked = underlay(['rollout', 'pause', '--cluster', 'app']);
  });
  t.is((await asked)?.code, 0, (await asked)?.stderr);
  t.is(paused.code, 1, paused.stdout);
  t.regex(paused.stderr, /RolloutPaused \(PausedByOperator\): rollout of cluster app at \w+ is paused \(PausedByOperator\) after batch\(es\) 1/);
  const done = batchesOf(paused.stdout);
  t.true(done.length >= 1 && done.length < 10, `paused after ${done.join(', ')}`);
  const refused = await underlay(['apply']);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /is paused \(PausedByOperator\)/);

  const resumed = await underlay(['rollout', 'resume', '--cluster', 'app']);
  t.is(resumed.code, 0, resumed.stderr);
  const rest = await underlay(['apply']);
  t.is(rest.code, 0, `${rest.stdout}\n${rest.stderr}`);
  t.deepEqual(batchesOf(rest.stdout), Array.from({ length: 10 - done.length }, (_, i) => done.length + 1 + i), 'numbered after the batches done');
  for (const n of names()) {
    t.is(versionOf(n), 'version 3');
    t.is(startsOf(n, '3'), 1, `${n} restarted once for version 3`);
  }
  const status = await underlay(['rollout', 'status', '--cluster', 'app']);
  t.regex(status.stdout, /: completed\n {2}batches done: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10\n/);
});

test.serial('SIGKILL mid-rollout: the next apply resumes after the batches done, and no node restarts twice', async (t) => {
  await commit('version 4', '4');
  const killed = await applyWatching((line, child) => {
    if (/^ {2}rollout app batch 3 /.test(line)) child.kill('SIGKILL');
  });
  t.is(killed.signal, 'SIGKILL');
  const resumed = await underlay(['apply']);
  t.is(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
  const batches = batchesOf(resumed.stdout);
  t.true(batches[0]! >= 3 && batches.at(-1)! <= 11, `resumed batches ${batches.join(', ')}`);
  t.false(batches.includes(1) || batches.includes(2), 'the batches that passed their gates are not run again');
  for (const n of names()) {
    t.is(versionOf(n), 'version 4');
    t.is(startsOf(n, '4'), 1, `${n} restarted once for version 4`);
  }
  const status = await underlay(['rollout', 'status', '--cluster', 'app', '--output', 'json']);
  t.like((JSON.parse(status.stdout) as { state: object }[])[0]?.state, { status: 'completed', budget: { used: 0, allowed: 0 } });
});
