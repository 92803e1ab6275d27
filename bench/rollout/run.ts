/**
 * bench/rollout: what a rollout costs beyond its gates, and how a 30-node rollout unfolds on real hosts.
 *
 *   npm run bench:rollout -- [--runs 7] [--no-hosts]
 *
 * 1. Per-batch overhead: the apply engine in-process on 30 FAKE nodes (test/support/fake-apply.ts: changes
 *    and health checks that take no time) with the real SQLite store on disk (WAL, synchronous=FULL, as apply
 *    uses it), once as 10 batches of 3 and once as 1 batch of 30, alternating. What 10 batches cost more,
 *    divided by the 9 extra batches, is what a batch costs beyond its gates and changes: persisting the
 *    rollout state (a node changed, the batch gated, the next batch starting), the breaker, the walk's waits.
 * 2. Timeline: 30 real runit test hosts (needs root), the site of test/e2e/rollout-30-nodes.test.ts
 *    (`maxUnavailable: 10%`), one version change rolled out with the real CLI; when each batch's first change
 *    and its gate line were printed, from the start of `underlay apply`.
 * Prints markdown for bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyPlan } from '../../controller/apply/apply-plan.js';
import { systemClock, systemTimers } from '../../controller/clock.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { APPLIED, type KindEffects } from '../../reconcilers/kind-effects.js';
import { registry } from '../../reconcilers/registry.js';
import { change, fakeNodes, testPlan, unusedTransport } from '../../test/support/fake-apply.js';
import { createTestHosts } from '../../test/hosts/harness.js';
import { writeRolloutSite } from '../../test/support/rollout-site.js';
import { median, option } from '../support/bench-args.js';

const root = path.resolve(import.meta.dirname, '../..');
const NODES = Array.from({ length: 30 }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);

const instant: KindEffects = { apply: () => Promise.resolve(APPLIED) };

/** One in-process rollout of the 30 fake nodes in batches of `size`; its wall time in ms. */
async function fakeRollout(dir: string, size: number, run: number): Promise<number> {
  const store = SqliteStore.open({ file: path.join(dir, `bench-${size}-${run}.db`), site: 'bench', clock: systemClock });
  const batches = Array.from({ length: NODES.length / size }, (_, i) => NODES.slice(i * size, (i + 1) * size));
  const plan = testPlan(
    NODES.flatMap((n) => [
      change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
      change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
    ]),
    [{ cluster: 'app', batches, failureBudget: 0, policy: { maxUnavailable: size } }],
  );
  const started = performance.now();
  const result = await applyPlan({
    plan,
    nodes: fakeNodes(NODES),
    transport: unusedTransport,
    registry,
    effects: () => instant,
    managedRecord: { update: () => Promise.resolve() },
    store,
    clock: systemClock,
    timers: systemTimers,
    concurrency: 8,
    healthCheck: { check: () => Promise.resolve({ healthy: true }) },
  });
  const ms = performance.now() - started;
  await store.close();
  if (result.status !== 'succeeded') throw new Error(`fake rollout ${result.status}`);
  return ms;
}

async function overhead(runs: number): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-bench-rollout-'));
  try {
    const ten: number[] = [];
    const one: number[] = [];
    await fakeRollout(dir, 3, -1);
    for (let r = 0; r < runs; r++) {
      // Alternating, so a change in the machine's load does not favour one shape.
      if (r % 2 === 0) ten.push(await fakeRollout(dir, 3, r));
      one.push(await fakeRollout(dir, 30, r));
      if (r % 2 === 1) ten.push(await fakeRollout(dir, 3, r));
    }
    const perBatch = (median(ten) - median(one)) / 9;
    return [
      '| shape | runs (ms) | median ms |',
      '|---|---|---:|',
      `| 10 batches of 3 | ${ten.map((x) => x.toFixed(0)).join(', ')} | ${median(ten).toFixed(1)} |`,
      `| 1 batch of 30 | ${one.map((x) => x.toFixed(0)).join(', ')} | ${median(one).toFixed(1)} |`,
      '',
      `Per-batch overhead beyond the gates and changes: **${perBatch.toFixed(1)} ms** (target < 100 ms). Load average ${loadavg()[0]!.toFixed(1)}.`,
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `underlay apply` with the time of each output line since it started. */
function timedApply(args: string[]): Promise<{ code: number; lines: { at: number; line: string }[] }> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'underlay.js'), 'apply', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started = performance.now();
  const lines: { at: number; line: string }[] = [];
  let partial = '';
  const take = (d: Buffer): void => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) lines.push({ at: (performance.now() - started) / 1000, line });
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 255, lines }));
  });
}

async function timeline(): Promise<string[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'underlay-bench-rollout-hosts-'));
  const hosts = await createTestHosts({ count: 30, namePrefix: 'n' });
  try {
    const site = await writeRolloutSite(work, hosts);
    const args = ['--repo', site.repoDir, '--state-dir', path.join(work, 'state'), '--secrets-dir', path.join(work, 'secrets'), '--no-color'];
    const first = await timedApply(args);
    if (first.code !== 0) throw new Error(first.lines.map((l) => l.line).join('\n'));
    await site.commit('version 2', '2');
    const { code, lines } = await timedApply(args);
    if (code !== 0) throw new Error(lines.map((l) => l.line).join('\n'));
    const gates = lines.filter((l) => /^ {2}rollout app batch \d+ /.test(l.line));
    const firstChange = lines.find((l) => /^ {2}applied /.test(l.line));
    const rows = gates.map((g, i) => {
      const nodes = /\(([^)]*)\)/.exec(g.line)?.[1] ?? '';
      const previous = i === 0 ? (firstChange?.at ?? 0) : gates[i - 1]!.at;
      return `| ${i + 1} | ${nodes} | ${previous.toFixed(2)} | ${g.at.toFixed(2)} | ${(g.at - previous).toFixed(2)} |`;
    });
    return [
      `First install of 30 nodes (nothing disruptive, no batches): ${first.lines.at(-1)?.at.toFixed(1)} s. Version change rolled out: ${lines.at(-1)?.at.toFixed(1)} s in all, load average ${loadavg()[0]!.toFixed(1)}.`,
      '',
      '| batch | nodes | from s | gate passed s | batch s |',
      '|---:|---|---:|---:|---:|',
      ...rows,
    ];
  } finally {
    await hosts.teardown();
    await rm(work, { recursive: true, force: true });
  }
}

const out = ['## rollout', '', '### Per-batch overhead (in-process, FAKE nodes, real SQLite)', '', ...(await overhead(Number(option('runs', '7'))))];
if (!process.argv.includes('--no-hosts')) out.push('', '### Timeline of a 30-node rollout (real runit test hosts, real CLI)', '', ...(await timeline()));
process.stdout.write(`${out.join('\n')}\n`);
