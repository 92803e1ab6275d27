/**
 * bench/drift-check: how long one drift check of N real test hosts takes (issue 10: 30 nodes, target under
 * 1 s), on the converge benchmark's site (20 files and 2 services per node).
 *
 *   npm run bench:drift -- [--nodes 30] [--runs 5] [--no-results]
 *
 * The site is applied once; then, alternating so load changes favour neither: `underlay drift` as a process
 * (start-up, SSH to every node, observe, plan, assess, print), and checkDrift in-process as the controller
 * runs it (a fresh SSH connection to every node each time: the CLI's transport); each on the converged
 * nodes, then with a file edited by hand on 3 of them (drift found, exit 2). Medians; rewrites the
 * "drift-check" section of bench/RESULTS.md. Needs root (test hosts).
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { cliDriftDeps } from '../../controller/cli/drift-deps.js';
import type { CliIO } from '../../controller/cli/io.js';
import { cliReconcileDeps } from '../../controller/cli/reconcile-deps.js';
import { checkDrift } from '../../controller/drift/check-drift.js';
import { createTestHosts, type TestHostCluster } from '../../test/hosts/harness.js';
import { writeSite } from '../converge/site.js';
import { median, option } from '../support/bench-args.js';

const root = path.resolve(import.meta.dirname, '../..');
const underlayBin = path.join(root, 'bin', 'underlay.js');

interface Site {
  repoDir: string;
  stateDir: string;
  secretsDir: string;
}

function cli(site: Site, args: string[], n: number): Promise<{ code: number; out: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [underlayBin, ...args, '--repo', site.repoDir, '--state-dir', site.stateDir, '--secrets-dir', site.secretsDir, '--concurrency', String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 255, out, seconds: Number(process.hrtime.bigint() - start) / 1e9 }));
  });
}

async function inProcess(site: Site, n: number): Promise<{ drifted: number; seconds: number }> {
  const io: CliIO = { stdout: () => undefined, stderr: (t) => void process.stderr.write(t), cwd: site.repoDir, env: process.env };
  const options = { repo: site.repoDir, stateDir: site.stateDir, secretsDir: site.secretsDir, concurrency: String(n), gitKeySecret: 'git-ssh-key' };
  const start = process.hrtime.bigint();
  const reconcile = cliReconcileDeps(options, io, () => undefined);
  try {
    const report = await checkDrift(cliDriftDeps(options, io, reconcile), { site: 'bench', baseline: 'last-applied' });
    if (report.outcome.type !== 'done') throw new Error(`the check stopped: ${JSON.stringify(report.outcome)}`);
    return { drifted: report.drifted.length, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  } finally {
    await reconcile.close();
  }
}

interface Samples {
  cli: number[];
  inProcess: number[];
  /** `underlay plan` of the same nodes in the same run: what observing and planning alone cost. */
  plan: number[];
}

async function sample(site: Site, n: number, runs: number, expected: { code: number; drifted: number }): Promise<Samples> {
  const out: Samples = { cli: [], inProcess: [], plan: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['cli', 'inProcess', 'plan'] as const) : (['plan', 'inProcess', 'cli'] as const);
    for (const how of order) {
      if (how === 'plan') {
        const r = await cli(site, ['plan', '--detailed-exitcode'], n);
        if (r.code !== expected.code) throw new Error(`underlay plan exited ${r.code}, not ${expected.code}:\n${r.out.slice(-3000)}`);
        out.plan.push(r.seconds);
      } else if (how === 'cli') {
        const r = await cli(site, ['drift'], n);
        if (r.code !== expected.code) throw new Error(`underlay drift exited ${r.code}, not ${expected.code}:\n${r.out.slice(-3000)}`);
        out.cli.push(r.seconds);
      } else {
        const r = await inProcess(site, n);
        if (r.drifted !== expected.drifted) throw new Error(`checkDrift found ${r.drifted} drifted, not ${expected.drifted}`);
        out.inProcess.push(r.seconds);
      }
    }
  }
  return out;
}

async function editOnThree(hosts: TestHostCluster): Promise<void> {
  for (const h of hosts.hosts.slice(0, 3)) await hosts.run(h.name, "echo '# edited by hand' >> /etc/bench/file07.conf");
}

async function measure(n: number, runs: number): Promise<{ clean: Samples; drifted: Samples }> {
  const hosts = await createTestHosts({ count: n });
  const work = await mkdtemp(path.join(tmpdir(), 'underlay-bench-drift-'));
  try {
    const site: Site = { repoDir: path.join(work, 'site'), stateDir: path.join(work, 'state'), secretsDir: path.join(work, 'secrets') };
    await mkdir(site.secretsDir, { recursive: true, mode: 0o700 });
    await cp(hosts.clientKeyPath, path.join(site.secretsDir, 'ssh-client-key'));
    await writeSite(site.repoDir, hosts.hosts);
    const apply = await cli(site, ['apply'], n);
    if (apply.code !== 0) throw new Error(`apply failed:\n${apply.out.slice(-3000)}`);
    const clean = await sample(site, n, runs, { code: 0, drifted: 0 });
    await editOnThree(hosts);
    const drifted = await sample(site, n, runs, { code: 2, drifted: 3 });
    return { clean, drifted };
  } finally {
    await hosts.teardown();
    await rm(work, { recursive: true, force: true });
  }
}

function section(n: number, r: { clean: Samples; drifted: Samples }, load: { start: number[]; end: number[] }): string {
  const f = (xs: number[]): string => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
  return `## drift-check

Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}.
Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Load average (1/5/15 min) at start ${load.start.map((x) => x.toFixed(2)).join(' / ')},
at end ${load.end.map((x) => x.toFixed(2)).join(' / ')}.

One drift check of ${n} real runit test hosts (bench/drift-check/run.ts) on the converge benchmark's site (20 files
and 2 services per node), applied once: observe every node over SSH (concurrency ${n}), plan against the last
applied revision, assess and record in the ledger. "CLI": \`underlay drift\` as a process (Node start-up
included); "in-process": \`checkDrift\` as the controller calls it (opening a new SSH connection to every node
each time, as the CLI's transport does); beside them \`underlay plan --detailed-exitcode\` of the same nodes in the
same run, which observes and plans the same way. Converged nodes, then one file edited by hand on 3 nodes (3 drifted).
Seconds, median (min-max) of ${r.clean.cli.length} each. Target (issue 10): under 1 s for 30 nodes. The check costs what
\`plan\` of the same nodes costs; wall time follows the machine's load (2 cores shared with other work here).

| nodes | state | drift, CLI s | drift, in-process s | plan, CLI s |
|---:|---|---:|---:|---:|
| ${n} | converged | ${f(r.clean.cli)} | ${f(r.clean.inProcess)} | ${f(r.clean.plan)} |
| ${n} | 3 drifted | ${f(r.drifted.cli)} | ${f(r.drifted.inProcess)} | ${f(r.drifted.plan)} |
`;
}

async function writeResults(text: string): Promise<void> {
  const file = path.join(root, 'bench', 'RESULTS.md');
  const all = await readFile(file, 'utf8');
  const start = all.search(/^## drift-check$/m);
  if (start < 0) return writeFile(file, `${all.trimEnd()}\n\n${text}`);
  const next = all.slice(start + 1).search(/^## /m);
  await writeFile(file, `${all.slice(0, start)}${text}${next < 0 ? '' : `\n${all.slice(start + 1 + next)}`}`);
}

const n = Number(option('nodes', '30'));
const runs = Number(option('runs', '5'));
const start = loadavg();
const result = await measure(n, runs);
const text = section(n, result, { start, end: loadavg() });
process.stdout.write(text);
if (!process.argv.includes('--no-results')) await writeResults(text);
