/**
 * bench/drift-check: how long one drift check of N real test hosts takes (issue 10: 30 nodes, target under
 * 1 s), on the converge benchmark's site (20 files and 2 services per node).
 *
 *   npm run bench:drift -- [--nodes 30] [--runs 5] [--ansible-runs 3] [--no-results]
 *
 * The site is applied once; then, alternating so load changes favour neither: `underlay drift` as a process
 * (start-up, SSH to every node, observe, plan, assess, print); checkDrift in-process with new connections
 * (a fresh transport each time: the first check of a controller, and what the CLI does); checkDrift
 * in-process on the site's kept connections (transport/connection-pool.ts: every later check of the
 * controller); `underlay plan`; and `ansible-playbook --check --diff` of bench/converge's playbook (the same
 * files and services), first with no SSH master open, then again while the first run's ControlPersist
 * masters are kept. Each on the converged nodes, then with a file edited by hand on 3 of them (drift found).
 * Then a breakdown: the check's steps timed one by one, the SSH connect of every node alone, and a CPU
 * profile of one check of each kind (node:inspector), by where the time went. Medians; wall and CPU time of
 * this process; rewrites the "drift-check" section of bench/RESULTS.md. Needs root (test hosts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { cliDriftDeps } from '../../controller/cli/drift-deps.js';
import type { CliIO } from '../../controller/cli/io.js';
import { sshTransportOptions } from '../../controller/cli/live-options.js';
import { cliReconcileDeps } from '../../controller/cli/reconcile-deps.js';
import { systemTimers } from '../../controller/clock.js';
import { checkDrift, driftSteps } from '../../controller/drift/check-drift.js';
import type { DriftState, DriftStep } from '../../controller/drift/drift-deps.js';
import { runReconcile } from '../../controller/runtime/reconcile.js';
import { initialState } from '../../controller/runtime/reconcile-state.js';
import type { Opener } from '../../controller/runtime/runtime-deps.js';
import type { Revision } from '../../controller/source/revision.js';
import { ConnectionPool } from '../../controller/transport/connection-pool.js';
import { SshTransport } from '../../controller/transport/ssh-transport.js';
import type { Transport } from '../../controller/transport/transport.js';
import { createTestHosts, type TestHostCluster } from '../../test/hosts/harness.js';
import { benchDir as convergeDir, writeAnsibleInventory, writeSite } from '../converge/site.js';
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

interface Timed {
  seconds: number;
  /** CPU time of this process (user + system) over the same span. */
  cpu: number;
}

async function timedRun<T>(fn: () => Promise<T>): Promise<Timed & { value: T }> {
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { value, seconds, cpu: (cpu.user + cpu.system) / 1e6 };
}

const benchIo = (site: Site): CliIO => ({ stdout: () => undefined, stderr: (t) => void process.stderr.write(t), cwd: site.repoDir, env: process.env });
const liveOptions = (site: Site, n: number) => ({ repo: site.repoDir, stateDir: site.stateDir, secretsDir: site.secretsDir, concurrency: String(n), gitKeySecret: 'git-ssh-key' });

/** The site's kept connections, as the controller's SupervisedSite makes them (idle 10 min, at most 256). */
function sitePool(site: Site, n: number): ConnectionPool {
  return new ConnectionPool({ settings: (revision) => sshTransportOptions(liveOptions(site, n), benchIo(site), revision), idleTimeoutMs: 600_000, maxConnections: 256, timers: systemTimers });
}

/** One drift check as the controller runs it: on `kept` connections, or (without) on new ones it closes at the end. */
async function inProcess(site: Site, n: number, kept?: ConnectionPool, steps?: (s: DriftStep[]) => DriftStep[]): Promise<{ drifted: number } & Timed> {
  const io = benchIo(site);
  const options = liveOptions(site, n);
  const r = await timedRun(async () => {
    const reconcile = cliReconcileDeps(options, io, () => undefined, kept ? { kept } : {});
    try {
      const deps = cliDriftDeps(options, io, reconcile);
      const check = { site: 'bench', baseline: 'last-applied' as const };
      if (steps) {
        const done = await runReconcile<DriftState, typeof deps>({ site: check.site, state: initialState() }, steps(driftSteps(check)), deps);
        if (done.outcome.type !== 'done') throw new Error(`the check stopped: ${JSON.stringify(done.outcome)}`);
        return done.state.assessment?.report.drifted.length ?? -1;
      }
      const report = await checkDrift(deps, check);
      if (report.outcome.type !== 'done') throw new Error(`the check stopped: ${JSON.stringify(report.outcome)}`);
      return report.drifted.length;
    } finally {
      await reconcile.close();
    }
  });
  return { drifted: r.value, seconds: r.seconds, cpu: r.cpu };
}

type How = 'cli' | 'fresh' | 'kept' | 'plan';

interface Samples {
  cli: number[];
  fresh: Timed[];
  kept: Timed[];
  /** `underlay plan` of the same nodes in the same run: what observing and planning alone cost. */
  plan: number[];
  /** ansible-playbook --check --diff: with no SSH master open, then with the previous run's masters kept. */
  ansibleFirst: number[];
  ansibleKept: number[];
}

async function ansibleCheck(hosts: TestHostCluster, { work, n }: { work: string; n: number }, runs: number, expectChanged: number): Promise<{ first: number[]; kept: number[] }> {
  const out = { first: [] as number[], kept: [] as number[] };
  if (runs === 0 || spawnSync('ansible-playbook', ['--version']).status !== 0) return out;
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(path.join(work, 'ansible-'));
    const inventory = await writeAnsibleInventory(dir, hosts.hosts, hosts.clientKeyPath);
    const cpDir = path.join(dir, 'cp');
    await mkdir(cpDir);
    const env = { ...process.env, ANSIBLE_CONFIG: path.join(convergeDir, 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: cpDir, ANSIBLE_NOCOLOR: '1' };
    for (const into of [out.first, out.kept]) {
      const start = process.hrtime.bigint();
      const r = spawnSync('ansible-playbook', ['-i', inventory, '-f', String(n), '--check', '--diff', path.join(convergeDir, 'playbook.yml')], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
      into.push(Number(process.hrtime.bigint() - start) / 1e9);
      const changed = [...r.stdout.matchAll(/changed=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      if (r.status !== 0 || changed !== expectChanged) throw new Error(`ansible-playbook --check exited ${r.status} with changed=${changed}, not ${expectChanged}:\n${r.stdout.slice(-3000)}`);
    }
    for (const sock of await readdir(cpDir)) spawnSync('ssh', ['-o', `ControlPath=${path.join(cpDir, sock)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
  }
  return out;
}

async function sample({ site, n, pool }: { site: Site; n: number; pool: ConnectionPool }, runs: number, expected: { code: number; drifted: number }): Promise<Samples> {
  const out: Samples = { cli: [], fresh: [], kept: [], plan: [], ansibleFirst: [], ansibleKept: [] };
  // The controller's first check opened the pool's connections; the samples are the checks after it.
  await inProcess(site, n, pool);
  for (let i = 0; i < runs; i++) {
    const order: How[] = i % 2 === 0 ? ['cli', 'fresh', 'kept', 'plan'] : ['plan', 'kept', 'fresh', 'cli'];
    for (const how of order) {
      if (how === 'plan' || how === 'cli') {
        const r = await cli(site, how === 'plan' ? ['plan', '--detailed-exitcode'] : ['drift'], n);
        if (r.code !== expected.code) throw new Error(`underlay ${how} exited ${r.code}, not ${expected.code}:\n${r.out.slice(-3000)}`);
        out[how].push(r.seconds);
      } else {
        const r = await inProcess(site, n, how === 'kept' ? pool : undefined);
        if (r.drifted !== expected.drifted) throw new Error(`checkDrift found ${r.drifted} drifted, not ${expected.drifted}`);
        out[how].push(r);
      }
      const last = how === 'plan' || how === 'cli' ? out[how].at(-1) : out[how].at(-1)?.seconds;
      process.stderr.write(`drift-check ${expected.drifted} drifted, run ${i + 1}/${runs}: ${how} ${last?.toFixed(2)} s (load ${loadavg()[0]?.toFixed(2)})\n`);
    }
  }
  return out;
}

/** Each step of the check timed, and every probe exec; on kept or on new connections. */
async function phases(site: Site, n: number, kept?: ConnectionPool): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  const add = (name: string, ms: number): void => void (times[name] = (times[name] ?? 0) + ms);
  const timedSteps = (steps: DriftStep[]): DriftStep[] =>
    steps.map((step) => ({
      name: step.name,
      run: async (state, deps) => {
        const start = performance.now();
        const timedTransport: Opener<Revision, Transport> = {
          get: async (rev) => {
            const t = await deps.transport.get(rev);
            return {
              ...t,
              exec: async (node, argv, o) => {
                const s0 = performance.now();
                try {
                  return await t.exec(node, argv, o);
                } finally {
                  add('probe exec (sum over nodes)', performance.now() - s0);
                  add('probe execs', 1);
                }
              },
              close: () => t.close(),
            };
          },
        };
        try {
          return await step.run(state, { ...deps, transport: timedTransport });
        } finally {
          add(`step ${step.name}`, performance.now() - start);
        }
      },
    }));
  const r = await inProcess(site, n, kept, timedSteps);
  add('whole check', r.seconds * 1000);
  add('whole check CPU', r.cpu * 1000);
  return times;
}

/** TCP connect, key exchange and authentication of every node at once, nothing else. */
async function connectAll(site: Site, n: number, hosts: TestHostCluster): Promise<Timed> {
  const options = await sshTransportOptions(liveOptions(site, n), benchIo(site), { source: 'bench', ref: 'main', commit: '0'.repeat(40), worktree: false, files: [] });
  const transport = new SshTransport(options);
  try {
    return await timedRun(() => Promise.all(hosts.hosts.map((h) => transport.verifiedHostKey({ name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey }))));
  } finally {
    await transport.close();
  }
}

interface Hotspot {
  where: string;
  ms: number;
}

/** A CPU profile of one check (node:inspector), self time summed by package or by file of this repository. */
async function profile(site: Site, n: number, kept?: ConnectionPool): Promise<{ totalMs: number; top: Hotspot[] }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  await inProcess(site, n, kept);
  const { profile: prof } = await session.post('Profiler.stop');
  session.disconnect();
  const dt = new Map<number, number>();
  prof.samples?.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas?.[i] ?? 0) / 1000));
  const by = new Map<string, number>();
  for (const node of prof.nodes) {
    const ms = dt.get(node.id) ?? 0;
    if (ms === 0) continue;
    const url = node.callFrame.url;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    const where = node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)' || node.callFrame.functionName === '(garbage collector)'
      ? node.callFrame.functionName
      : pkg ? `npm ${pkg}` : url.startsWith('node:') || url === '' ? `node internals (${node.callFrame.functionName || 'anonymous'})` : path.relative(root, url.replace(/^file:\/\//, ''));
    by.set(where, (by.get(where) ?? 0) + ms);
  }
  const all = [...by.entries()].map(([where, ms]) => ({ where, ms })).sort((a, b) => b.ms - a.ms);
  return { totalMs: all.reduce((x, h) => x + h.ms, 0), top: all.slice(0, 12) };
}

async function editOnThree(hosts: TestHostCluster): Promise<void> {
  for (const h of hosts.hosts.slice(0, 3)) await hosts.run(h.name, "echo '# edited by hand' >> /etc/bench/file07.conf");
}

interface Measured {
  clean: Samples;
  drifted: Samples;
  connect: Timed[];
  phases: { fresh: Record<string, number>[]; kept: Record<string, number>[] };
  profiles: { fresh: Awaited<ReturnType<typeof profile>>; kept: Awaited<ReturnType<typeof profile>> };
}

async function measure(n: number, runs: number, ansibleRuns: number): Promise<Measured> {
  const hosts = await createTestHosts({ count: n });
  const work = await mkdtemp(path.join(tmpdir(), 'underlay-bench-drift-'));
  const site: Site = { repoDir: path.join(work, 'site'), stateDir: path.join(work, 'state'), secretsDir: path.join(work, 'secrets') };
  const pool = sitePool(site, n);
  try {
    await mkdir(site.secretsDir, { recursive: true, mode: 0o700 });
    await cp(hosts.clientKeyPath, path.join(site.secretsDir, 'ssh-client-key'));
    await writeSite(site.repoDir, hosts.hosts);
    const apply = await cli(site, ['apply'], n);
    if (apply.code !== 0) throw new Error(`apply failed:\n${apply.out.slice(-3000)}`);
    const clean = await sample({ site, n, pool }, runs, { code: 0, drifted: 0 });
    const ansibleClean = await ansibleCheck(hosts, { work, n }, ansibleRuns, 0);
    const breakdown: Measured['phases'] = { fresh: [], kept: [] };
    const connect: Timed[] = [];
    for (let i = 0; i < runs; i++) {
      connect.push(await connectAll(site, n, hosts));
      breakdown.fresh.push(await phases(site, n));
      breakdown.kept.push(await phases(site, n, pool));
    }
    const profiles = { fresh: await profile(site, n), kept: await profile(site, n, pool) };
    await editOnThree(hosts);
    const drifted = await sample({ site, n, pool }, runs, { code: 2, drifted: 3 });
    const ansibleDrifted = await ansibleCheck(hosts, { work, n }, ansibleRuns, 3);
    return {
      clean: { ...clean, ansibleFirst: ansibleClean.first, ansibleKept: ansibleClean.kept },
      drifted: { ...drifted, ansibleFirst: ansibleDrifted.first, ansibleKept: ansibleDrifted.kept },
      connect,
      phases: breakdown,
      profiles,
    };
  } finally {
    await pool.close();
    await hosts.teardown();
    await rm(work, { recursive: true, force: true });
  }
}

const f = (xs: number[]): string => (xs.length === 0 ? 'n/a' : `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`);
const wall = (xs: Timed[]): number[] => xs.map((x) => x.seconds);
const cpuOf = (xs: Timed[]): number[] => xs.map((x) => x.cpu);
const ratio = (a: number[], b: number[]): string => (a.length === 0 || b.length === 0 ? 'n/a' : `${(median(a) / median(b)).toFixed(1)}x`);

function row(n: number, state: string, s: Samples): string {
  return `| ${n} | ${state} | ${f(s.cli)} | ${f(wall(s.fresh))} | ${f(cpuOf(s.fresh))} | **${f(wall(s.kept))}** | ${f(cpuOf(s.kept))} | ${f(s.plan)} | ${f(s.ansibleFirst)} | ${f(s.ansibleKept)} | ${ratio(s.ansibleKept, wall(s.kept))} |`;
}

function phaseTable(m: Measured): string {
  const names = [...new Set([...m.phases.fresh, ...m.phases.kept].flatMap((p) => Object.keys(p)))];
  const cell = (ps: Record<string, number>[], name: string): string => {
    const xs = ps.map((p) => p[name] ?? 0);
    return name === 'probe execs' ? String(median(xs)) : median(xs).toFixed(0);
  };
  return names.map((name) => `| ${name} | ${cell(m.phases.fresh, name)} | ${cell(m.phases.kept, name)} |`).join('\n');
}

function hotspots(p: Measured['profiles']['fresh']): string {
  return p.top.map((h) => `${h.where} ${h.ms.toFixed(0)} ms (${((100 * h.ms) / p.totalMs).toFixed(0)} %)`).join('; ');
}

function section(n: number, m: Measured, load: { start: number[]; end: number[] }): string {
  const ansibleVersion = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'ansible not installed';
  return `## drift-check

Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${ansibleVersion}.
Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Load average (1/5/15 min) at start ${load.start.map((x) => x.toFixed(2)).join(' / ')},
at end ${load.end.map((x) => x.toFixed(2)).join(' / ')}. The machine is shared with other engineers' work (2 cores): wall
times follow its load; the CPU time of the check's own process is given beside them.
Command: \`npm run bench:drift -- --nodes ${n} --runs ${m.clean.kept.length}\` (bench/drift-check/run.ts).

One drift check of ${n} real runit test hosts on the converge benchmark's site (20 files and 2 services per node),
applied once: observe every node over SSH (concurrency ${n}), plan against the last applied revision, assess and
record in the ledger. "CLI": \`underlay drift\` as a process (Node start-up included, new connections).
"First check": \`checkDrift\` in-process as the controller runs it, on new SSH connections (a controller's first
check after start, or after idleTimeout). "Next checks": the same on the site's kept connections
(controller/transport/connection-pool.ts, ADR 0027): every later check of a running controller. \`underlay plan
--detailed-exitcode\` of the same nodes. Beside them the tool an operator would otherwise use:
\`ansible-playbook --check --diff\` of bench/converge/playbook.yml (the same 20 files and 2 services per node,
\`-f ${n}\`, pipelining), first with no SSH master open, then again while the first run's ControlPersist masters
are still open (Ansible's own kept connections). Converged nodes, then one file edited by hand on 3 nodes.
Seconds, median (min-max) of ${m.clean.kept.length} (Ansible: ${m.clean.ansibleFirst.length}); ratio = Ansible (kept masters) / underlay (kept connections).

| nodes | state | drift, CLI s | first check s | CPU s | **next checks s** | CPU s | plan, CLI s | ansible --check s | ansible --check, masters kept s | ratio |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${row(n, 'converged', m.clean)}
${row(n, '3 drifted', m.drifted)}

Target (issue 10): under 1 s for ${n} nodes: ${median(wall(m.clean.kept)) < 1 && median(wall(m.drifted.kept)) < 1 ? `**met** by the controller's checks on kept connections (${median(wall(m.clean.kept)).toFixed(2)} s / ${median(wall(m.drifted.kept)).toFixed(2)} s)` : `**not met** at this load (kept connections: ${median(wall(m.clean.kept)).toFixed(2)} s / ${median(wall(m.drifted.kept)).toFixed(2)} s wall, ${median(cpuOf(m.clean.kept)).toFixed(2)} s CPU)`}; a first check on new connections
costs ${median(wall(m.clean.fresh)).toFixed(2)} s.

Where the time goes (converged nodes, median ms of ${m.phases.fresh.length} checks; steps timed one by one, so the sum is the check):

| phase | first check (new connections) ms | next checks (kept) ms |
|---|---:|---:|
${phaseTable(m)}
| SSH connect + key exchange + auth of all ${n} nodes at once, alone | ${median(wall(m.connect)).toFixed(2)} s wall, ${median(cpuOf(m.connect)).toFixed(2)} s CPU | 0 |

CPU profile of one check (node:inspector, self time, ${m.profiles.fresh.totalMs.toFixed(0)} ms sampled on new connections,
${m.profiles.kept.totalMs.toFixed(0)} ms on kept ones):
- new connections: ${hotspots(m.profiles.fresh)}.
- kept connections: ${hotspots(m.profiles.kept)}.
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
const ansibleRuns = Number(option('ansible-runs', '3'));
const start = loadavg();
const result = await measure(n, runs, ansibleRuns);
const text = section(n, result, { start, end: loadavg() });
process.stdout.write(text);
if (!process.argv.includes('--no-results')) await writeResults(text);
