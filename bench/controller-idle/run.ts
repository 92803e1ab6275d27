/**
 * bench/controller-idle: what `underlay controller` costs while nothing changes (issue 10: under 300 MB RSS
 * and under 2 % of a core averaged over at least 15 minutes, drift checked every 5 minutes).
 *
 *   npm run bench:controller-idle -- [--case real|replayed|both] [--hosts 100] [--nodes 1000]
 *                                    [--minutes 15] [--drift 5m] [--sample 10] [--no-results]
 *                                    [--profile DIR] [--note TEXT] [--rewrite]
 *
 * real:     N real runit test hosts (network namespaces + sshd) with the converge benchmark's site (20 files
 *           and 2 services per node), applied once by the controller (policy auto), then left alone.
 * replayed: a site of --nodes synthetic nodes whose observation is REPLAYED from a recorded inventory
 *           snapshot (`observe: {snapshot}`, policy plan-only: docs/controller.md, "Rehearsal"); no SSH.
 * Each case runs the real built `underlay controller` as its own process; `both` runs the two processes at
 * the same time. After the first reconcile (and for `real` the first drift check after the apply) the
 * process is sampled every --sample seconds for --minutes: VmRSS and utime+stime from /proc. Drift checks
 * and reconciles are counted from the controller's log lines in the window; /metrics is scraped at the end.
 * Each case's row is kept in bench/controller-idle/results.json and the "controller-idle" section of
 * bench/RESULTS.md is rewritten from all rows (a row is replaced by a new one of the same case and --note).
 * --rewrite only writes the section again from results.json.
 * --profile DIR writes each controller's CPU profile (node --cpu-prof) there when it stops.
 * Needs root for the real case (test hosts).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestHosts } from '../../test/hosts/harness.js';
import { writeSite } from '../converge/site.js';
import { option } from '../support/bench-args.js';
import { startControllerChild, type ControllerChild } from './controller-child.js';
import { sampleProcess, type ProcessUsage } from './process-sampler.js';

const root = path.resolve(import.meta.dirname, '../..');
const resultsJson = path.join(import.meta.dirname, 'results.json');
const execFileAsync = promisify(execFile);
/** The API token the benchmark writes into the controller's secret store, to scrape /metrics with. */
const API_TOKEN = 'bench-controller-idle-token-3f9a1c';

type CaseName = 'real' | 'replayed';

interface CaseResult {
  case: CaseName;
  nodes: number;
  /** What the site's nodes are: real hosts, or a recorded inventory replayed. */
  observation: string;
  date: string;
  minutes: number;
  driftSchedule: string;
  driftChecks: number;
  reconciles: number;
  rssMb: { start: number; max: number; end: number };
  cpuPercent: number;
  cpuSeconds: number;
  childCpuSeconds: number;
  convergeSeconds: number;
  load: { start: number[]; end: number[] };
  metrics: string[];
  /** Anything else said about this run (e.g. which transport it ran with). */
  note: string;
}

/** `5m` as the cron expression the site's drift schedule takes (minutes only: the brief's --drift 5m). */
function driftCron(every: string): string {
  const m = /^(\d+)m$/.exec(every);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 59) throw new Error(`--drift must be 1m..59m, got ${every}`);
  return `*/${m[1]} * * * *`;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Prepared {
  configFile: string;
  nodes: number;
  observation: string;
  head: string;
  /** The first drift check after the apply is part of converging: wait for it before measuring. */
  convergedWhen: 'applied' | 'planned';
  teardown(): Promise<void>;
}

async function controllerConfig(work: string, site: string): Promise<string> {
  const stateDir = path.join(work, 'state');
  const secretsDir = path.join(work, 'secrets');
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(secretsDir, 'controller-api-token'), `${API_TOKEN}\n`, { mode: 0o600 });
  const file = path.join(work, 'controller.yaml');
  const text = ['apiVersion: underlay.dev/v1alpha1', 'kind: ControllerConfig', `stateDir: ${stateDir}`, `secretsDir: ${secretsDir}`, `api: {listen: "127.0.0.1:${await freePort()}"}`, 'log: {level: info}', 'sites:', site].join('\n');
  await writeFile(file, `${text}\n`);
  return file;
}

async function gitHead(repoDir: string): Promise<string> {
  return (await execFileAsync('git', ['-C', repoDir, 'rev-parse', 'HEAD'])).stdout.trim();
}

async function prepareReal(hostCount: number, drift: string): Promise<Prepared> {
  const hosts = await createTestHosts({ count: hostCount });
  const work = await mkdtemp(path.join(tmpdir(), 'underlay-bench-idle-real-'));
  try {
    const repoDir = path.join(work, 'site');
    await writeSite(repoDir, hosts.hosts);
    const site = ['  - name: bench', `    source: {repository: ${repoDir}, ref: main}`, `    concurrency: ${Math.min(hostCount, 25)}`, `    drift: {schedule: "${driftCron(drift)}"}`].join('\n');
    const configFile = await controllerConfig(work, site);
    await cp(hosts.clientKeyPath, path.join(work, 'secrets', 'ssh-client-key'));
    return {
      configFile,
      nodes: hostCount,
      observation: `${hostCount} real runit test hosts over SSH`,
      head: await gitHead(repoDir),
      convergedWhen: 'applied',
      async teardown() {
        await hosts.teardown();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await hosts.teardown();
    throw e;
  }
}

async function prepareReplayed(nodeCount: number, drift: string): Promise<Prepared> {
  const work = await mkdtemp(path.join(tmpdir(), 'underlay-bench-idle-replayed-'));
  const repoDir = path.join(work, 'site');
  const snapshot = path.join(work, 'inventory.json');
  const { writeReplayedSite } = await import('./replayed-site.js');
  await writeReplayedSite({ repoDir, snapshotFile: snapshot, nodes: nodeCount });
  const site = ['  - name: bench', `    source: {repository: ${repoDir}, ref: main}`, '    apply: {policy: plan-only}', `    observe: {snapshot: ${snapshot}}`, `    drift: {schedule: "${driftCron(drift)}"}`].join('\n');
  const configFile = await controllerConfig(work, site);
  return {
    configFile,
    nodes: nodeCount,
    observation: `${nodeCount} synthetic nodes, observation REPLAYED from a recorded inventory snapshot (no SSH)`,
    head: await gitHead(repoDir),
    convergedWhen: 'planned',
    teardown: () => rm(work, { recursive: true, force: true }),
  };
}

async function scrapeMetrics(controller: ControllerChild): Promise<string[]> {
  const url = String((await controller.waitForLog((l) => l.msg === 'API listening', 'the API')).api);
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
  const wanted = ['underlay_controller_heartbeat_timestamp_seconds', 'underlay_drifted_resources', 'underlay_reconciles_total', 'underlay_last_applied_revision_info', 'underlay_reconcile_queue_depth'];
  return text.split('\n').filter((l) => !l.startsWith('#') && wanted.some((w) => l.startsWith(w)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(name: CaseName, prepared: Prepared, opts: { minutes: number; drift: string; sampleSeconds: number; note: string; profile: string }): Promise<CaseResult> {
  const loadStart = loadavg();
  const nodeArgs = opts.profile === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(opts.profile), '--cpu-prof-name', `controller-idle-${name}.cpuprofile`];
  const controller = startControllerChild(prepared.configFile, nodeArgs);
  try {
    const t0 = Date.now();
    // Converged: the first reconcile finished on the site's head (and for real nodes the drift check its apply queued).
    const reconciled = await controller.waitForLog((l) => l.msg === 'reconciled' && l.revision === prepared.head && l.outcome === 'done', 'the first reconcile');
    // A scheduled check asked for while the apply ran is the one the apply's check coalesces into, under the
    // schedule's reason: so any check finished after the reconcile.
    if (prepared.convergedWhen === 'planned' && reconciled.changes !== 0) throw new Error(`the replayed site planned ${String(reconciled.changes)} changes against its converged snapshot`);
    const after = controller.logs.indexOf(reconciled);
    if (prepared.convergedWhen === 'applied') await controller.waitForLog((l) => l.msg === 'drift checked' && controller.logs.indexOf(l) > after, 'the drift check after the apply');
    const convergeSeconds = (Date.now() - t0) / 1000;
    const logsBefore = controller.logs.length;
    process.stderr.write(`${name}: converged in ${convergeSeconds.toFixed(1)} s; measuring for ${opts.minutes} min\n`);
    const sampler = sampleProcess(controller.child.pid!, opts.sampleSeconds * 1000);
    const deadline = Date.now() + opts.minutes * 60_000;
    while (Date.now() < deadline) {
      if (controller.child.exitCode !== null) throw new Error(`the controller exited during the window:\n${controller.output().slice(-3000)}`);
      await sleep(Math.min(5000, Math.max(0, deadline - Date.now())));
    }
    const usage: ProcessUsage = sampler.stop();
    const window = controller.logs.slice(logsBefore);
    const failed = window.filter((l) => l.msg === 'the drift check failed' || (l.msg === 'drift checked' && l.outcome !== 'done'));
    if (failed.length > 0) throw new Error(`drift checks failed in the window: ${JSON.stringify(failed.slice(0, 3))}`);
    // Nothing touches the nodes (or the recording) in the window: a check that found drift measured something else.
    const drifted = window.filter((l) => l.msg === 'drift checked' && Array.isArray(l.drifted) && l.drifted.length > 0);
    if (drifted.length > 0) throw new Error(`drift found in the window: ${JSON.stringify(drifted[0])}`);
    const metrics = await scrapeMetrics(controller);
    const last = usage.samples.at(-1)!;
    return {
      case: name,
      nodes: prepared.nodes,
      observation: prepared.observation,
      date: new Date().toISOString().slice(0, 16).replace('T', ' '),
      minutes: usage.wallSeconds / 60,
      driftSchedule: opts.drift,
      driftChecks: window.filter((l) => l.msg === 'drift checked').length,
      reconciles: window.filter((l) => l.msg === 'reconciled').length,
      rssMb: usage.rssMb,
      cpuPercent: usage.cpuPercent,
      cpuSeconds: last.cpuSeconds - usage.samples[0]!.cpuSeconds,
      childCpuSeconds: usage.childCpuSeconds,
      convergeSeconds,
      load: { start: loadStart, end: loadavg() },
      metrics,
      note: opts.note,
    };
  } finally {
    await controller.stop();
  }
}

async function readRows(): Promise<CaseResult[]> {
  try {
    return JSON.parse(await readFile(resultsJson, 'utf8')) as CaseResult[];
  } catch {
    return [];
  }
}

const TARGET_MB = 300;
const TARGET_CPU = 2;

function section(rows: CaseResult[]): string {
  const mb = (x: number) => x.toFixed(0);
  const l = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ');
  const table = rows
    .map((r) => {
      const met = r.rssMb.max < TARGET_MB && r.cpuPercent < TARGET_CPU ? 'yes' : 'NO';
      return `| ${r.case} | ${r.observation} | ${r.nodes} | ${r.date} | ${r.minutes.toFixed(1)} | ${r.driftChecks} | ${r.reconciles} | ${mb(r.rssMb.start)} / ${mb(r.rssMb.max)} / ${mb(r.rssMb.end)} | ${r.cpuPercent.toFixed(2)} (${r.cpuSeconds.toFixed(1)} s; children ${r.childCpuSeconds.toFixed(2)} s) | ${l(r.load.start)} → ${l(r.load.end)} | ${met} |`;
    })
    .join('\n');
  const notes = rows.filter((r) => r.note !== '').map((r) => `- ${r.case}, ${r.date}: ${r.note}`);
  const metrics = rows.map((r) => `${r.case}:\n${r.metrics.map((m) => `    ${m}`).join('\n')}`).join('\n');
  return `## controller-idle

Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, shared with
other engineers' work (see the load columns). Command: \`npm run bench:controller-idle -- --case both --hosts 100 --nodes 1000
--minutes 15 --drift 5m\` (bench/controller-idle/run.ts), or \`--case real\` / \`--case replayed\` for one row.

The real built \`underlay controller\` as its own process per case, drift schedule every 5 minutes, default
resync interval (10 min), log level info. Measured after the site converged (for real hosts: the controller's
first apply and the drift check after it), sampled every 10 s from /proc: VmRSS, and utime+stime over wall time
(CPU % of one core; CPU time is what the process spent, so other load on the machine does not inflate it).
Drift checks and reconciles counted from the controller's log lines inside the window; none failed and none
found drift. "children": CPU of the processes the controller ran and waited for (\`git\`), not in the % figure.
The real case observes with concurrency 25 and, with the SSH transport of this revision, a new SSH connection
to every node per check; each real window's count includes the check its apply asked for, which ran (under the
schedule's reason, coalesced with the scheduled check that came during the apply) inside the window.
Targets (issue 10): RSS under ${TARGET_MB} MB and CPU under ${TARGET_CPU} % of a core averaged.

**The 1,000-node row does not observe real machines**: its observation is replayed from a recorded inventory
snapshot (the site option \`observe: {snapshot}\`, allowed only under \`apply: {policy: plan-only}\`;
docs/controller.md, "Rehearsal"). It measures the controller's own cost of a 1,000-node site (load, resolve,
plan, drift assessment, store, API) without 1,000 SSH sessions, which this machine cannot host.

| case | observation | nodes | date (UTC) | minutes | drift checks | reconciles | RSS start / max / end MB | CPU % of a core (CPU s) | load 1/5/15 start → end | targets met |
|---|---|---:|---|---:|---:|---:|---|---:|---|---|
${table}
${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}
/metrics at the end of each window (the controller alive and checking):

\`\`\`
${metrics}
\`\`\`

Comparison: no always-on GitOps agent ran beside it in the same run. Flux and Argo CD, the controllers an
operator would otherwise run, need a Kubernetes API server, and none can run on this machine (no kube-apiserver,
kind or k3s is installable here: /work/shared/notes/toolchain.md); an agent-per-node tool (Puppet, Salt minion)
is a different shape (one agent on every node, not one process for the site) and is not installed either.
`;
}

async function writeResults(rows: CaseResult[]): Promise<void> {
  await writeFile(resultsJson, `${JSON.stringify(rows, null, 2)}\n`);
  const file = path.join(root, 'bench', 'RESULTS.md');
  const all = await readFile(file, 'utf8');
  const text = section(rows);
  const start = all.search(/^## controller-idle$/m);
  if (start < 0) return writeFile(file, `${all.trimEnd()}\n\n${text}`);
  const next = all.slice(start + 1).search(/^## /m);
  await writeFile(file, `${all.slice(0, start)}${text}${next < 0 ? '' : `\n${all.slice(start + 1 + next)}`}`);
}

if (process.argv.includes('--rewrite')) {
  // Only the section again, from the rows kept (after a change to how it is written).
  await writeResults(await readRows());
  process.exit(0);
}
const which = option('case', 'both');
if (!['real', 'replayed', 'both'].includes(which)) throw new Error(`--case must be real, replayed or both, got ${which}`);
const opts = { minutes: Number(option('minutes', '15')), drift: option('drift', '5m'), sampleSeconds: Number(option('sample', '10')), note: option('note', ''), profile: option('profile', '') };
const cases: { name: CaseName; prepare: () => Promise<Prepared> }[] = [];
if (which !== 'replayed') cases.push({ name: 'real', prepare: () => prepareReal(Number(option('hosts', '100')), opts.drift) });
if (which !== 'real') cases.push({ name: 'replayed', prepare: () => prepareReplayed(Number(option('nodes', '1000')), opts.drift) });

const prepared: Prepared[] = [];
try {
  for (const c of cases) prepared.push(await c.prepare());
  const results = await Promise.all(cases.map((c, i) => measure(c.name, prepared[i]!, opts)));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  if (!process.argv.includes('--no-results')) {
    const rows = (await readRows()).filter((r) => !results.some((n) => n.case === r.case && n.note === r.note));
    await writeResults([...rows, ...results]);
    process.stdout.write(section([...rows, ...results]));
  }
} finally {
  for (const p of prepared) await p.teardown();
}
