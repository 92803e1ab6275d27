/**
 * bench/startup: how long one CLI invocation takes, end to end, as a user or a CI job sees it.
 *
 *   npm run bench:startup -- [--runs 15] [--bin PATH/TO/bin/underlay.js]
 *
 * Runs each command --runs times as a child process (`node BIN ...`) against a committed copy of
 * examples/three-node-etcd, offline (no nodes), and prints median and fastest wall time per command, the
 * median CPU time (user + system) of the child, and the 1-minute load average around the runs. On 2 shared
 * cores wall time follows the load; CPU time far less, so compare runs by it. --bin measures another
 * checkout's CLI, e.g. the one before a change.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, option } from '../support/bench-args.js';

const root = path.resolve(import.meta.dirname, '../..');

const runs = Number(option('runs', '15'));
const bin = path.resolve(option('bin', path.join(root, 'bin', 'underlay.js')));
const work = mkdtempSync(path.join(tmpdir(), 'underlay-startup-'));
const site = path.join(work, 'site');
cpSync(path.join(root, 'examples', 'three-node-etcd'), site, { recursive: true });
const git = (...args: string[]) => execFileSync('git', ['-C', site, '-c', 'user.name=bench', '-c', 'user.email=bench@underlay.invalid', ...args]);
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'site');

const commands: string[][] = [
  ['--version'],
  ['validate', '--repo', site],
  ['plan', '--repo', site],
  ['schema'],
  ['status', '--state-dir', path.join(work, 'state')],
];

/**
 * CPU seconds of this process's waited-for children so far (Linux: cutime + cstime of /proc/self/stat, in
 * clock ticks of 1/100 s), so the difference around one spawnSync is that child's CPU time.
 */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

try {
  console.log(`bin: ${bin}, ${runs} runs per command, node ${process.version}\n`);
  console.log('| command | median s | fastest s | median CPU s | exit | load 1m (start/end) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const args of commands) {
    const seconds: number[] = [];
    const cpu: number[] = [];
    const loadStart = loadavg()[0]!;
    let status: number | null = null;
    for (let i = 0; i < runs; i++) {
      const cpu0 = childCpuSeconds();
      const t0 = performance.now();
      status = spawnSync(process.execPath, [bin, ...args], { cwd: work, stdio: 'ignore' }).status;
      seconds.push((performance.now() - t0) / 1000);
      cpu.push(childCpuSeconds() - cpu0);
    }
    const shown = args.map((a) => (a.startsWith(work) ? path.basename(a) : a)).join(' ');
    console.log(`| \`${shown}\` | ${median(seconds).toFixed(3)} | ${Math.min(...seconds).toFixed(3)} | ${median(cpu).toFixed(2)} | ${status} | ${loadStart.toFixed(1)} / ${loadavg()[0]!.toFixed(1)} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
