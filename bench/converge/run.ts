/**
 * bench/converge: underlay vs Ansible doing the same work on the same runit test hosts in the same run.
 *
 *   npm run bench:converge -- [--sizes 10,30] [--runs 3] [--noop-runs 2] [--ansible-noop-runs 1]
 *
 * Per size N and per run: every node wiped (fresh overlay, new host key, re-pinned for both tools), then a
 * full converge by one tool, a check that it did the work, its no-op reconciles, and the same for the other
 * tool on freshly wiped nodes. (One `--check` takes Ansible about as long as a converge, so by default it
 * gets fewer no-op samples per run: 3 runs give 6 underlay and 3 Ansible no-op samples per size.) Which tool goes first alternates between runs, so a change in the
 * machine's load does not favour one of them. Prints a table and rewrites the "converge" section of
 * bench/RESULTS.md. Needs root (test hosts); logs of every run go to bench/converge/out/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { createTestHosts, type TestHostCluster } from '../../test/hosts/harness.js';
import { benchDir, MANAGED_FILES, repinSite, SERVICES, writeAnsibleInventory, writeSite } from './site.js';
import { median, option } from '../support/bench-args.js';

const root = path.resolve(benchDir, '../..');
const underlayBin = path.join(root, 'bin', 'underlay.js');
const outDir = path.join(benchDir, 'out');

type Tool = 'underlay' | 'ansible';
interface Sample {
  seconds: number;
  load: number;
}
interface SizeResult {
  n: number;
  converge: Record<Tool, Sample[]>;
  noop: Record<Tool, Sample[]>;
}

const load1 = (): number => loadavg()[0]!;
interface Timed {
  code: number;
  stdout: string;
  seconds: number;
  load: number;
}

let logSeq = 0;
/** Runs a command to completion, wall-clock timed; output goes to a log file (and is returned). */
function timed(label: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const loadBefore = load1();
    const start = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: benchDir });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const file = path.join(outDir, `${String(++logSeq).padStart(3, '0')}-${label}.log`);
      void writeFile(file, `$ ${argv.join(' ')}\n# ${seconds.toFixed(2)} s, exit ${code}\n${out}`);
      resolve({ code: code ?? 255, stdout: out, seconds, load: (loadBefore + load1()) / 2 });
    });
  });
}

/** sha256 and mode of every managed file plus the state of both services, per node, read via nsenter. */
async function fingerprint(cluster: TestHostCluster): Promise<Map<string, string>> {
  const script = [
    `for f in ${MANAGED_FILES.join(' ')}; do if [ -f "$f" ]; then printf '%s %s %s\\n' "$(stat -c %a "$f")" "$(sha256sum < "$f" | cut -c1-64)" "$f"; else echo "missing $f"; fi; done`,
    `for s in ${SERVICES.map((s) => s.name).join(' ')}; do st=$(sv status /etc/service/$s 2>&1); case $st in run:*) echo "$s running";; *) echo "$s NOT RUNNING: $st";; esac; done`,
  ].join('\n');
  const results = await Promise.all(cluster.hosts.map(async (h) => [h.name, (await cluster.run(h.name, script)).stdout] as const));
  return new Map(results);
}

function assertDone(tool: Tool, fp: Map<string, string>): void {
  for (const [node, text] of fp) {
    if (/missing|NOT RUNNING/.test(text)) throw new Error(`${tool} did not finish the work on ${node}:\n${text}`);
  }
}

function assertSame(a: Map<string, string>, b: Map<string, string>): void {
  for (const [node, text] of a) {
    if (b.get(node) !== text) throw new Error(`underlay and ansible left different results on ${node}:\n--- underlay\n${text}--- ansible\n${b.get(node)}`);
  }
}

/** Fresh overlays and host keys on every node, in parallel; returns once all answer SSH again. */
async function wipeAll(cluster: TestHostCluster): Promise<void> {
  await Promise.all(cluster.hosts.map((h) => cluster.wipeHost(h.name)));
}

function ansibleRecapOk(stdout: string, expectChanged: boolean | null): boolean {
  const rows = [...stdout.matchAll(/^\S+\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  if (rows.length === 0) return false;
  return rows.every((r) => r[2] === '0' && r[3] === '0' && (expectChanged === null || (r[1] !== '0') === expectChanged));
}

interface Site {
  work: string;
  repoDir: string;
  secretsDir: string;
  stateDir: string;
}

async function underlayLivePlan(): Promise<boolean> {
  const help = spawnSync(process.execPath, [underlayBin, 'plan', '--help'], { encoding: 'utf8' });
  return help.stdout.includes('--secrets-dir');
}

async function measureSize(n: number, runs: number, noopRuns: Record<Tool, number>, livePlan: boolean): Promise<SizeResult> {
  const result: SizeResult = { n, converge: { underlay: [], ansible: [] }, noop: { underlay: [], ansible: [] } };
  const cluster = await createTestHosts({ count: n });
  const work = await mkdtemp(path.join(tmpdir(), 'underlay-bench-converge-'));
  try {
    const site: Site = { work, repoDir: path.join(work, 'site'), secretsDir: path.join(work, 'secrets'), stateDir: '' };
    await mkdir(site.secretsDir, { recursive: true, mode: 0o700 });
    // The generated site keeps the default Site.spec.ssh.clientKeySecret: `ssh-client-key`.
    await cp(cluster.clientKeyPath, path.join(site.secretsDir, 'ssh-client-key'));
    await writeSite(site.repoDir, cluster.hosts);

    const underlay = (args: string[]) => [
      process.execPath, underlayBin, ...args,
      '--repo', site.repoDir, '--state-dir', site.stateDir, '--secrets-dir', site.secretsDir, '--concurrency', String(n),
    ];
    let ansibleRun = 0;
    const ansible = async (label: string, extra: string[]): Promise<Timed> => {
      const dir = path.join(work, `ansible-${++ansibleRun}`);
      await mkdir(dir);
      const inventory = await writeAnsibleInventory(dir, cluster.hosts, cluster.clientKeyPath);
      const cpDir = path.join(dir, 'cp');
      await mkdir(cpDir);
      const env = { ...process.env, ANSIBLE_CONFIG: path.join(benchDir, 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: cpDir, ANSIBLE_NOCOLOR: '1' };
      const r = await timed(label, ['ansible-playbook', '-i', inventory, '-f', String(n), ...extra, path.join(benchDir, 'playbook.yml')], env);
      // ControlPersist would hand this run's connections to the next one: close them.
      for (const sock of await readdir(cpDir)) spawnSync('ssh', ['-o', `ControlPath=${path.join(cpDir, sock)}`, '-O', 'exit', 'bench'], { stdio: 'ignore' });
      return r;
    };

    const sides: Record<Tool, () => Promise<Map<string, string>>> = {
      underlay: async () => {
        site.stateDir = path.join(work, `state-${Date.now()}`);
        const c = await timed(`n${n}-underlay-apply`, underlay(['apply']));
        if (c.code !== 0) throw new Error(`underlay apply failed (exit ${c.code}):\n${c.stdout.slice(-3000)}`);
        const fp = await fingerprint(cluster);
        assertDone('underlay', fp);
        result.converge.underlay.push(c);
        for (let i = 0; i < noopRuns.underlay; i++) {
          const args = livePlan ? ['plan', '--detailed-exitcode'] : ['apply', '--detailed-exitcode'];
          const r = await timed(`n${n}-underlay-noop`, underlay(args));
          if (r.code !== 0) throw new Error(`underlay no-op ${args[0]} found work or failed (exit ${r.code}):\n${r.stdout.slice(-3000)}`);
          result.noop.underlay.push(r);
        }
        return fp;
      },
      ansible: async () => {
        const c = await ansible(`n${n}-ansible-converge`, []);
        if (c.code !== 0 || !ansibleRecapOk(c.stdout, true)) throw new Error(`ansible-playbook failed (exit ${c.code}):\n${c.stdout.slice(-3000)}`);
        const fp = await fingerprint(cluster);
        assertDone('ansible', fp);
        result.converge.ansible.push(c);
        for (let i = 0; i < noopRuns.ansible; i++) {
          const r = await ansible(`n${n}-ansible-check`, ['--check']);
          if (r.code !== 0 || !ansibleRecapOk(r.stdout, false)) throw new Error(`ansible-playbook --check found work or failed (exit ${r.code}):\n${r.stdout.slice(-3000)}`);
          result.noop.ansible.push(r);
        }
        return fp;
      },
    };

    for (let run = 0; run < runs; run++) {
      const order: Tool[] = run % 2 === 0 ? ['underlay', 'ansible'] : ['ansible', 'underlay'];
      const prints: Partial<Record<Tool, Map<string, string>>> = {};
      for (const tool of order) {
        await wipeAll(cluster);
        await repinSite(site.repoDir, cluster.hosts);
        prints[tool] = await sides[tool]();
      }
      assertSame(prints.underlay!, prints.ansible!);
      const last = (t: Tool) => result.converge[t].at(-1)!.seconds.toFixed(2);
      process.stderr.write(`N=${n} run ${run + 1}/${runs}: converge underlay ${last('underlay')} s, ansible ${last('ansible')} s (load ${load1().toFixed(2)})\n`);
    }
    return result;
  } finally {
    await cluster.teardown();
    await rm(work, { recursive: true, force: true });
  }
}

function table(results: SizeResult[], livePlan: boolean): string {
  const f = (x: number) => x.toFixed(2);
  const med = (s: Sample[]) => median(s.map((x) => x.seconds));
  const medLoad = (s: Sample[]) => median(s.map((x) => x.load));
  const rows = results.map((r) => {
    const cu = med(r.converge.underlay), ca = med(r.converge.ansible), nu = med(r.noop.underlay), na = med(r.noop.ansible);
    const loads = [...r.converge.underlay, ...r.converge.ansible, ...r.noop.underlay, ...r.noop.ansible].map((x) => x.load);
    return (
      `| ${r.n} | ${f(cu)} | ${f(ca)} | ${(ca / cu).toFixed(1)}x | ${f(nu)} | ${f(na)} | ${(na / nu).toFixed(1)}x | ` +
      `${r.converge.underlay.length}+${r.converge.ansible.length} / ${r.noop.underlay.length}+${r.noop.ansible.length} | ${f(medLoad(r.converge.underlay))} / ${f(medLoad(r.converge.ansible))} | ${f(Math.min(...loads))}-${f(Math.max(...loads))} |`
    );
  });
  return [
    `| N | converge underlay s | converge ansible s | ratio | no-op underlay s (${livePlan ? 'plan' : 'apply'}) | no-op ansible --check s | ratio | samples converge u+a / no-op u+a | load 1m median (converge u / a) | load 1m range |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

async function writeResults(section: string): Promise<void> {
  const file = path.join(root, 'bench', 'RESULTS.md');
  const text = await readFile(file, 'utf8');
  const start = text.search(/^## converge$/m);
  if (start < 0) return writeFile(file, `${text.trimEnd()}\n\n${section}`);
  const next = text.slice(start + 1).search(/^## /m);
  const end = next < 0 ? text.length : start + 1 + next;
  await writeFile(file, `${text.slice(0, start)}${section}${next < 0 ? '' : `\n${text.slice(end)}`}`);
}

async function main(): Promise<void> {
  const sizes = option('sizes', '10,30').split(',').map(Number);
  const runs = Number(option('runs', '3'));
  const noopRuns = { underlay: Number(option('noop-runs', '2')), ansible: Number(option('ansible-noop-runs', '1')) };
  await mkdir(outDir, { recursive: true });
  const livePlan = await underlayLivePlan();
  const loadStart = loadavg();
  const results: SizeResult[] = [];
  // Written after every size: a long run that is stopped early still leaves what it measured.
  for (const n of sizes) {
    results.push(await measureSize(n, runs, noopRuns, livePlan));
    const t = table(results, livePlan);
    process.stdout.write(`${t}\n`);
    if (!process.argv.includes('--no-results')) await writeResults(section(results, livePlan, loadStart, loadavg()));
  }
}

function section(results: SizeResult[], livePlan: boolean, loadStart: number[], loadEnd: number[]): string {
  const t = table(results, livePlan);
  const ansibleVersion = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  return `## converge

Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${ansibleVersion}.
Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Load average (1/5/15 min) at start ${loadStart.map((x) => x.toFixed(2)).join(' / ')},
at end ${loadEnd.map((x) => x.toFixed(2)).join(' / ')}; the table gives the 1-minute load around each timed command.

Same work, same nodes, same run (bench/converge/run.ts): runit test hosts; per node 20 files of ~450 bytes in
/etc/bench templated with node name, address and a static fact, and two runit services (/etc/sv/NAME/run,
/etc/service/NAME link, running), each restarted when its file changes. underlay: generated site,
\`underlay apply --concurrency N\` (rollout batch = N). Ansible: bench/converge/playbook.yml, \`forks = N\`,
pipelining, strict host key checking against the pinned keys, no fact gathering. Every converge starts on freshly
wiped nodes (new overlay and host key, re-pinned for both tools); after it, the sha256 and mode of the 22 files
and the state of both services are checked on every node, and the two tools' results must be identical.
No-op: ${livePlan ? '`underlay plan` observing the live nodes' : '`underlay apply` on the converged site (observes, plans, finds nothing to do; `underlay plan` could not observe live nodes yet)'}
vs \`ansible-playbook --check\`. Medians; ratio = Ansible / underlay. Targets: no-op >= 10x, converge >= 3x.
Where each tool's time goes: bench/converge/README.md.

${t}
`;
}

await main();
