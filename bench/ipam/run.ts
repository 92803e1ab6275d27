/**
 * ipam: allocating a per-node address for every node of a 10,000-node site (and a VIP), inside resolve and
 * plan, as apply does it: a first plan (nothing in the ledger), a re-plan (all 10,001 kept from the ledger)
 * and one node added (one new allocation among 10,001 kept). Times the allocation alone and the whole
 * resolve + plan, with CPU time and the 1-minute load average (2 shared cores: compare CPU, read wall time
 * beside the load). Target: allocation for 10,000 nodes under 200 ms, in the plan.
 * Writes the "ipam" section of bench/RESULTS.md.   npm run bench:ipam [-- 10000]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { emptyInventory, type Inventory } from '../../controller/model/observed.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import { allocateClusterAddresses } from '../../controller/resolve/ip-allocation.js';
import { nodeViews } from '../../controller/resolve/node-views.js';
import { DiagnosticSink } from '../../controller/resolve/diagnostic-sink.js';
import { NOTHING_OBSERVED } from '../../controller/resolve/ipam-observation.js';
import type { Spec } from '../../controller/spec/spec.js';
import { registry } from '../../reconcilers/registry.js';
import { clusterDoc, doc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';

const here = dirname(fileURLToPath(import.meta.url));

function site(nodes: number): Spec {
  const docs = Array.from({ length: nodes }, (_, i) => node(`n${String(i).padStart(5, '0')}`, `198.18.${i >> 8}.${i & 255}`, { roles: i < 2 ? ['lb'] : [] }));
  return testSpec([
    ...docs,
    doc('IPPool', 'data', { cidr: '10.64.0.0/16' }),
    doc('IPPool', 'vips', { cidr: '10.65.0.0/24' }),
    moduleDoc('none', {}),
    clusterDoc('c', {
      nodes: {},
      addresses: [
        { name: 'vip', pool: 'vips', holder: { roles: ['lb'] }, interface: 'eth1' },
        { name: 'data', pool: 'data', perNode: {}, interface: 'eth1' },
      ],
      steps: [{ name: 's', module: 'none' }],
    }),
  ]);
}

interface Row {
  scenario: string;
  allocations: number;
  /** Median of five runs: wall and CPU. */
  allocateMs: number;
  allocateCpuMs: number;
  resolvePlanMs: number;
  cpuMs: number;
  changes: number;
  load: number;
}

function measure(scenario: string, spec: Spec, inventory: Inventory): { row: Row; inventory: Inventory } {
  const load = loadavg()[0]!;
  const allocations = Object.fromEntries(Object.entries(inventory.pools).flatMap(([pool, p]) => Object.entries(p.allocations).map(([n, a]) => [`${pool}/${n}`, a])));
  const views = nodeViews(spec, {});
  const walls: number[] = [];
  const cpus: number[] = [];
  let allocated = allocateClusterAddresses(spec, views, { ...NOTHING_OBSERVED, allocations }, new DiagnosticSink());
  for (let i = 0; i < 5; i++) {
    const c0 = process.cpuUsage();
    const a0 = performance.now();
    allocated = allocateClusterAddresses(spec, views, { ...NOTHING_OBSERVED, allocations }, new DiagnosticSink());
    walls.push(performance.now() - a0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[2]!;
  const allocateMs = median(walls);
  const allocateCpuMs = median(cpus);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const resolved = resolveSite(spec, {}, allocations);
  if (!resolved.desired) throw new Error(resolved.diagnostics.slice(0, 3).map((d) => d.message).join('\n'));
  const plan = makePlan(resolved.desired, inventory, { registry });
  const resolvePlanMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const pools: Inventory['pools'] = {};
  for (const s of allocated.services) {
    const ip = s.spec as unknown as { pool: string; name: string; address: string };
    (pools[ip.pool] ??= { allocations: {} }).allocations[ip.name] = ip.address;
  }
  const row = { scenario, allocations: allocated.services.length, allocateMs, allocateCpuMs, resolvePlanMs, cpuMs: (used.user + used.system) / 1000, changes: plan.changes.length, load };
  return { row, inventory: { ...emptyInventory(), pools } };
}

const nodes = Number(process.argv[2] ?? 10000);
// A warm-up at a tenth of the size, so the figures are not the first call's compilation.
measure('warm-up', site(nodes / 10), emptyInventory());
const spec = site(nodes);
const first = measure(`first plan, ${nodes} nodes`, spec, emptyInventory());
const again = measure('re-plan, all kept from the ledger', spec, first.inventory);
const grown = measure(`${nodes + 1} nodes: one new among the kept`, site(nodes + 1), first.inventory);
const rows = [first.row, again.row, grown.row];
const loadEnd = loadavg()[0]!;

const fmt = (n: number): string => n.toFixed(1);
const table = [
  '| scenario | allocations | allocation alone ms (median of 5) | allocation CPU ms | resolve + plan ms | resolve + plan CPU ms | changes | load avg 1m |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.scenario} | ${r.allocations} | ${fmt(r.allocateMs)} | ${fmt(r.allocateCpuMs)} | ${fmt(r.resolvePlanMs)} | ${fmt(r.cpuMs)} | ${r.changes} | ${r.load.toFixed(2)} |`),
].join('\n');
process.stdout.write(`${table}\n1-minute load at the end: ${loadEnd.toFixed(2)}\n`);

const section = `## ipam

\`npm run bench:ipam\` (bench/ipam/run.ts): a VIP and a per-node address for every node, allocated in resolve and
planned (one \`ip\` change and one \`address\` change per allocation), for a first plan, a re-plan with every
allocation in the ledger, and one node added. "allocation alone" is \`allocateClusterAddresses\`; "resolve + plan"
is the whole of \`resolveSite\` and \`makePlan\` for this site (no other resources), once. Target: allocation for 10,000 nodes
under 200 ms, in the plan. Measured ${new Date().toISOString().slice(0, 10)} on the shared 2-core machine.

${table}

1-minute load average at the end: ${loadEnd.toFixed(2)}. Read the CPU columns: at a load of 10-18 on 2 cores the
process gets a fraction of a core, and wall time follows the load. Before IPv4 text was parsed and formatted by hand
in controller/model/ip.ts (ipaddr.js's parser was most of the time) and the nodes' addresses parsed once for all
pools, the same allocation took 230-370 CPU ms (5 runs at a load of ~14).
`;
const results = join(here, '..', 'RESULTS.md');
const text = existsSync(results) ? readFileSync(results, 'utf8') : '# Benchmark results\n';
const start = text.indexOf('## ipam\n');
const next = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
const updated = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${next < 0 ? '' : text.slice(next + 1)}`;
writeFileSync(results, updated);
