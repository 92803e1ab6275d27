/**
 * plan-scale: load + resolve + plan of a synthetic site of 1,000 / 5,000 / 10,000 nodes (~20 resources
 * each), built in memory as a Revision. Each size runs in its own child process so its peak memory
 * (maxRSS) is its own. Prints a table and writes the "plan-scale" section of bench/RESULTS.md.
 *   npm run bench:plan [-- 1000 5000]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { emptyInventory, type Inventory } from '../../controller/model/observed.js';
import { loadSpec } from '../../controller/load/load-spec.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import type { Revision } from '../../controller/source/revision.js';
import { registry } from '../../reconcilers/registry.js';
import { renderServiceDefinition } from '../../reconcilers/service/definition.js';
import { appliedNode, inventory as inventoryOf } from '../../test/support/build-desired.js';
import { syntheticSite } from './synthetic-site.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_SIZES = [1000, 5000, 10000];

interface Measurement {
  nodes: number;
  files: number;
  resources: number;
  changes: number;
  loadMs: number;
  resolveMs: number;
  planMs: number;
  totalMs: number;
  /** CPU time (all threads, GC included) of load + resolve + plan: what a loaded machine inflates least. */
  cpuMs: number;
  noopPlanMs: number;
  maxRssMb: number;
  /** 1-minute load average when the size started and when it ended. */
  load: [number, number];
}

function time<T>(f: () => T): [T, number] {
  const start = performance.now();
  const value = f();
  return [value, performance.now() - start];
}

function measure(nodes: number): Measurement {
  const loadAtStart = loadavg()[0]!;
  const revision: Revision = syntheticSite(nodes);
  const cpuStart = process.cpuUsage();
  const [loaded, loadMs] = time(() => loadSpec(revision));
  if (!loaded.spec) throw new Error(loaded.diagnostics.slice(0, 5).map((d) => d.message).join('\n'));
  const [resolved, resolveMs] = time(() => resolveSite(loaded.spec!, {}, {}));
  if (!resolved.desired) throw new Error(resolved.diagnostics.slice(0, 5).map((d) => d.message).join('\n'));
  const desired = resolved.desired;
  const [plan, planMs] = time(() => makePlan(desired, emptyInventory(), { registry }));
  const cpu = process.cpuUsage(cpuStart);
  // Steady state: the same site planned against nodes that already match it.
  const applied: Inventory = inventoryOf(
    Object.fromEntries(desired.nodes.map((n) => [n.name, appliedNode(n.resources, (s) => renderServiceDefinition(s, n.serviceManager).hash)])),
  );
  const [noop, noopPlanMs] = time(() => makePlan(desired, applied, { registry }));
  if (noop.changes.length !== 0) throw new Error(`steady state planned ${noop.changes.length} changes`);
  return {
    nodes,
    files: revision.files.length,
    resources: desired.nodes.reduce((n, d) => n + d.resources.length, 0),
    changes: plan.changes.length,
    loadMs,
    resolveMs,
    planMs,
    totalMs: loadMs + resolveMs + planMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    noopPlanMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    load: [loadAtStart, loadavg()[0]!],
  };
}

const fmt = (ms: number): string => (ms / 1000).toFixed(2);

function table(rows: Measurement[]): string {
  const lines = [
    '| nodes | resources | changes | load s | resolve s | plan s | total s | total CPU s | no-op plan s | peak RSS MB | load avg 1m (start/end) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.nodes} | ${r.resources} | ${r.changes} | ${fmt(r.loadMs)} | ${fmt(r.resolveMs)} | ${fmt(r.planMs)} | ${fmt(r.totalMs)} | ${fmt(r.cpuMs)} | ${fmt(r.noopPlanMs)} | ${Math.round(r.maxRssMb)} | ${r.load[0].toFixed(1)} / ${r.load[1].toFixed(1)} |`,
    ),
  ];
  return lines.join('\n');
}

function writeResults(rows: Measurement[]): void {
  const path = join(here, '..', 'RESULTS.md');
  const section = [
    '## plan-scale',
    '',
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Synthetic site built in memory (bench/plan-scale/synthetic-site.ts): every node runs 4 modules (base files and',
    'directories, an agent with a service and a guarded command, a client of a 5-node etcd cluster linked by',
    'facts, a log shipper); "plan" is a first apply against the empty inventory (every resource created, file',
    'content in the plan); "no-op plan" is the same site against an inventory that matches it. Each size runs in',
    'its own process; peak RSS is that process\'s maxRSS. Target: 10,000 nodes in < 5 s and < 1 GB. "total CPU s" is',
    'the CPU time of load + resolve + plan over all threads (GC included): on a shared, loaded machine it moves',
    `far less than wall time, so compare runs by it and read wall times next to the load average (${cpus().length} cores).`,
    '',
    table(rows),
    '',
  ].join('\n');
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const start = old.indexOf('## plan-scale');
  let next = start < 0 ? -1 : old.indexOf('\n## ', start + 1);
  if (next >= 0) next += 1;
  const updated = start < 0 ? `${old.trimEnd()}\n\n${section}` : `${old.slice(0, start)}${section}${next >= 0 ? `\n${old.slice(next)}` : ''}`;
  writeFileSync(path, updated);
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  process.stdout.write(`${JSON.stringify(measure(Number(args[1])))}\n`);
} else {
  const sizes = args.length > 0 ? args.map(Number) : DEFAULT_SIZES;
  const rows: Measurement[] = [];
  for (const size of sizes) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(size)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const row = JSON.parse(out.trim().split('\n').pop()!) as Measurement;
    rows.push(row);
    console.log(`${size} nodes: ${fmt(row.totalMs)} s total, ${Math.round(row.maxRssMb)} MB peak`);
  }
  console.log(table(rows));
  writeResults(rows);
}
