/**
 * bench/etcd-rolling: the longest gap without an acknowledged write while etcd's members restart one at a
 * time (issue 11: target under 2 s), with the writer of test/e2e/etcd-rolling-change.test.ts
 * (test/e2e/support/etcd-writer.ts) putting keys through haproxy on the VIP the whole time.
 *
 *   npm run bench:etcd-rolling -- [--runs 3]
 *
 * Needs root (real runit test hosts in network namespaces). The TLS etcd example (three-node-etcd) is built
 * and applied once; then, alternating, each run does:
 * - underlay: `--heartbeat-interval` changed (100 <-> 150) and `underlay apply`: one member per batch,
 *   drained from haproxy, restarted, gated on `member` and `quorum`, undrained;
 * - plain: what a plain `serial: 1` restart does (Ansible's `serial: 1` with a service restart, or a shell
 *   loop): `sv restart etcd` on node1, node2, node3 in turn, each waiting for the service to be up
 *   (`sv -w 30`), no drain and no quorum gate. It restarts the same daemons without changing their flags:
 *   the disruption (a member going away behind haproxy) is the same.
 * Prints markdown for bench/RESULTS.md: per run writes acknowledged, failed attempts, the longest gap, the
 * rollout's seconds, the load; then the ratio of the medians of the longest gaps (plain / underlay).
 */
import { loadavg } from 'node:os';
import type { E2ESite } from '../../test/e2e/support/e2e-site.js';
import { longestGap, startWriter, stopWriter, storedKeys, type Attempt } from '../../test/e2e/support/etcd-writer.js';
import { createTlsEtcdSite } from '../../test/e2e/support/tls-etcd-site.js';
import { etcdHealthy, setHeartbeat } from '../../test/e2e/support/etcd-checks.js';
import { median, option } from '../support/bench-args.js';

const MEMBERS = ['node1', 'node2', 'node3'];

interface Row {
  how: 'underlay' | 'plain';
  run: number;
  acked: number;
  failed: number;
  gapMs: number;
  seconds: number;
  lost: number;
  load: number;
}

const load1 = (): number => Number(loadavg()[0]!.toFixed(2));

const healthy = (site: E2ESite): Promise<string> => etcdHealthy(site.hosts, 3, 120_000);

/** One rolling restart with the writer running; `roll` does the restarts. */
async function measured(site: E2ESite, how: Row['how'], run: number, roll: () => Promise<void>): Promise<Row> {
  await healthy(site);
  await startWriter(site.hosts);
  const from = Date.now();
  await roll();
  const to = Date.now();
  const { attempts } = await stopWriter(site.hosts);
  const acked = attempts.filter((a: Attempt) => a.ok);
  const stored = await storedKeys(site.hosts);
  return {
    how,
    run,
    acked: acked.length,
    failed: attempts.length - acked.length,
    gapMs: longestGap(attempts, from, to).ms,
    seconds: (to - from) / 1000,
    lost: acked.filter((a) => stored.get(a.key) !== `v${a.key}`).length,
    load: load1(),
  };
}

async function underlayRoll(site: E2ESite, heartbeat: number): Promise<void> {
  const apply = await site.underlay(['apply', '--no-color'], { timeoutMs: 400_000 });
  if (apply.code !== 0) throw new Error(`apply (--heartbeat-interval ${heartbeat}) failed:\n${apply.stdout}\n${apply.stderr}`);
}

async function plainRoll(site: E2ESite): Promise<void> {
  for (const node of MEMBERS) {
    const r = await site.hosts.run(node, 'sv -w 30 restart /etc/service/etcd');
    if (r.code !== 0) throw new Error(`${node}: sv restart etcd: exit ${r.code}\n${r.stdout}${r.stderr}`);
  }
}

const runs = Number(option('runs', '3'));
const startLoad = load1();
const started = new Date();
const site = await createTlsEtcdSite({ count: 3 });
const rows: Row[] = [];
try {
  const up = await site.underlay(['apply', '--no-color'], { timeoutMs: 400_000 });
  if (up.code !== 0) throw new Error(`the first apply failed:\n${up.stdout}\n${up.stderr}`);
  for (let run = 1; run <= runs; run++) {
    const heartbeat = run % 2 === 1 ? 150 : 100;
    await site.commit(`etcd: --heartbeat-interval ${heartbeat}`, (dir) => setHeartbeat(dir, heartbeat));
    rows.push(await measured(site, 'underlay', run, () => underlayRoll(site, heartbeat)));
    rows.push(await measured(site, 'plain', run, () => plainRoll(site)));
    process.stderr.write(`run ${run}: ${JSON.stringify(rows.slice(-2))}\n`);
  }
} finally {
  await site.teardown();
}

const of = (how: Row['how']): Row[] => rows.filter((r) => r.how === how);
const line = (r: Row): string => `| ${r.run} | ${r.how} | ${r.acked} | ${r.failed} | ${r.lost} | ${r.gapMs} | ${r.seconds.toFixed(1)} | ${r.load} |`;
const gapOf = (how: Row['how']): number => median(of(how).map((r) => r.gapMs));
const worst = (how: Row['how']): number => Math.max(...of(how).map((r) => r.gapMs));
process.stdout.write(
  [
    `\`npm run bench:etcd-rolling -- --runs ${runs}\`, ${started.toISOString()}, load average (1 min) ${startLoad} at start, ${load1()} at the end.`,
    '',
    '| run | how | writes acked | failed attempts (all retried) | acked writes lost | longest gap ms | rollout s | load |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(line),
    '',
    `Longest gap, median of ${runs}: underlay ${gapOf('underlay')} ms (worst ${worst('underlay')}), plain serial restart ${gapOf('plain')} ms (worst ${worst('plain')}); ratio plain/underlay ${(gapOf('plain') / Math.max(1, gapOf('underlay'))).toFixed(1)}x.`,
    '',
  ].join('\n'),
);
