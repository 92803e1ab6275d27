/**
 * Random kills, beside the deterministic kill points of crash-safety.test.ts: the real `underlay apply` of a
 * site change on two real runit test hosts is SIGKILLed after a random delay drawn over the measured duration
 * of a whole apply, then a recovery apply runs. Each trial switches the site between two revisions, so every
 * trial has work: four files, a service restarted when one of them changes, and a guarded command.
 *
 * After every kill: each managed file is the old or the new content, never torn. After every recovery: it
 * succeeded, a plan finds nothing to do, every file is new and no temporary copy is left, the guarded command
 * started exactly once in the trial, and the service restarted once, twice only when the kill left the
 * restart owed on the node (the restart happened, the record clearing its flag did not).
 *
 * The delays come from a seeded generator; the seed is printed, and UNDERLAY_KILL_SEED=<seed> replays a run.
 * The total is bounded by the number of trials, not by a clock.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '../support/seeded-random.js';
import { createE2ESite, underlayBin, type E2ESite } from './support/e2e-site.js';
import { onHost } from './support/node-checks.js';

const TRIALS = 20;
const NODES = ['node1', 'node2'];
const FILES = ['/etc/rk/f1.conf', '/etc/rk/f2.conf', '/etc/rk/f3.conf', '/etc/rk/f4.conf'];
const SERVICE_STARTS = '/var/lib/rk/service-starts.log';
const COMMAND_STARTS = '/var/lib/rk/command-starts.log';

const seed = process.env.UNDERLAY_KILL_SEED === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.UNDERLAY_KILL_SEED);
const random = seededRandom(seed);
/** Where in the apply each trial kills, as a fraction of a whole apply's duration: fixed by the seed alone. */
const fractions = Array.from({ length: TRIALS }, () => random());

const CLUSTER = `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: rk
spec:
  nodes:
    roles: [etcd]
  steps:
    - name: rk
      module: rk
      with:
        rev: {param: rev}
  # Both nodes in one batch: a trial is one whole rollout, short enough for twenty of them.
  rollout:
    batchSize: 2
    failureBudget: 0
`;

// Files of some size (about 24 KiB), so a kill can land inside a write; every line names the revision.
const fileResource = (file: string): string[] => [
  '    - file:',
  `        path: ${file}`,
  `        content: "{% for i in (1..400) %}{{ inputs.rev }} ${path.basename(file)} line {{ i }} of the site revision\\n{% endfor %}"`,
];

const MODULE = [
  'apiVersion: underlay.dev/v1alpha1',
  'kind: Module',
  'metadata:',
  '  name: rk',
  'spec:',
  '  inputs:',
  '    rev: {type: string}',
  '  resources:',
  '    - directory: {path: /etc/rk}',
  ...FILES.flatMap(fileResource),
  // Each start of the service leaves a line: restarts are counted, not timed.
  '    - service:',
  '        name: rk',
  '        command: /bin/sh',
  `        args: ["-c", "mkdir -p /var/lib/rk; echo start >> ${SERVICE_STARTS}; exec sleep infinity"]`,
  `        restartOnChangeOf: ["file:${FILES[0]}"]`,
  // Runs once per revision switch (its guard says whether this revision's state is there); each start leaves a line.
  '    - command:',
  '        name: rk-switch',
  `        argv: ["/bin/sh", "-c", 'mkdir -p /var/lib/rk; echo "start $1" >> ${COMMAND_STARTS}; sleep 1; echo "$1" > /var/lib/rk/command-state', "_", "{{ inputs.rev }}"]`,
  '        unless: ["/bin/grep", "-qx", "{{ inputs.rev }}", "/var/lib/rk/command-state"]',
  '',
].join('\n');

let site: E2ESite | undefined;
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};
/** The two revisions the trials switch between. */
const revisions: Record<'A' | 'B', string> = { A: '', B: '' };
/** node -> file -> content, per revision, as a full apply left it. */
const contents: Record<'A' | 'B', Record<string, Record<string, string>>> = { A: {}, B: {} };
let current: 'A' | 'B' = 'A';
let fullApplyMs = 0;

const read = (node: string, nodePath: string): string | undefined => {
  const file = onHost(s().hosts, node, nodePath);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};
const lines = (node: string, nodePath: string): string[] => (read(node, nodePath) ?? '').split('\n').filter(Boolean);
const filesOf = (node: string): Record<string, string> => Object.fromEntries(FILES.map((f) => [f, read(node, f) ?? '(missing)']));

/** `underlay apply --rev`, SIGKILLed after `killAfterMs` unless it ended first; how long it ran and how it ended. */
function apply(rev: string, killAfterMs?: number): Promise<{ ms: number; code: number | null; killed: boolean; output: string }> {
  const args = ['apply', '--repo', s().repoDir, '--rev', rev, '--state-dir', s().stateDir, '--secrets-dir', s().secretsDir, '--no-color'];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [underlayBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let killed = false;
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: Number((process.hrtime.bigint() - started) / 1_000_000n), code, killed, output });
    });
  });
}

function plan(rev: string): Promise<{ code: number | null; output: string }> {
  const args = ['plan', '--repo', s().repoDir, '--rev', rev, '--state-dir', s().stateDir, '--secrets-dir', s().secretsDir, '--no-color', '--detailed-exitcode'];
  const child = spawn(process.execPath, [underlayBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Temporary copies an interrupted write could leave, under the directories this site writes. */
function leftoverTemps(node: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.name.startsWith('.underlay.')) found.push(p);
      else if (e.isDirectory() && !e.isSymbolicLink()) walk(p);
    }
  };
  for (const dir of ['/etc', '/var/lib']) if (existsSync(onHost(s().hosts, node, dir))) walk(onHost(s().hosts, node, dir));
  return found;
}

const restartOwed = (node: string): boolean => {
  const record = read(node, '/var/lib/underlay/managed.json');
  if (record === undefined) return false;
  try {
    return (JSON.parse(record) as { resources: Record<string, { restartPending?: boolean }> }).resources['service:rk']?.restartPending === true;
  } catch {
    // A record the kill left unreadable is restored from its previous copy by the next run (ADR 0006).
    return true;
  }
};

test.before(async () => {
  site = await createE2ESite({ count: NODES.length });
  const setRev = (rev: string) => async (dir: string): Promise<void> => {
    const file = path.join(dir, 'site.yaml');
    await writeFile(file, readFileSync(file, 'utf8').replace(/\n {2}params:\n(?: {4}rev: .*\n)?/, `\n  params:\n    rev: ${rev}\n`));
  };
  revisions.A = await site.commit('revision A of the random-kill site', async (dir) => {
    await rm(path.join(dir, 'nodes/node3.yaml'));
    for (const m of ['base', 'etcd', 'haproxy']) await rm(path.join(dir, `modules/${m}.yaml`));
    await rm(path.join(dir, 'templates'), { recursive: true });
    await writeFile(path.join(dir, 'cluster.yaml'), CLUSTER);
    await writeFile(path.join(dir, 'modules/rk.yaml'), MODULE);
    await setRev('A')(dir);
  });
  revisions.B = await site.commit('revision B', setRev('B'));
  for (const rev of ['A', 'B'] as const) {
    const full = await apply(revisions[rev]);
    if (full.code !== 0) throw new Error(`the full apply of revision ${rev} failed:\n${full.output}`);
    for (const n of NODES) contents[rev][n] = filesOf(n);
    // The switch A -> B is a whole apply of the kind every trial kills: its duration bounds the delays.
    fullApplyMs = full.ms;
    current = rev;
  }
  console.log(`random kills: seed ${seed} (replay with UNDERLAY_KILL_SEED=${seed}); a whole apply took ${fullApplyMs} ms`);
});
test.after.always(async () => {
  await site?.teardown();
});

test.serial('the two revisions differ in every managed file', (t) => {
  t.log(`seed ${seed} (replay with UNDERLAY_KILL_SEED=${seed}); a whole apply took ${fullApplyMs} ms`);
  for (const n of NODES) for (const f of FILES) t.not(contents.A[n]?.[f], contents.B[n]?.[f], `${n}:${f}`);
  t.deepEqual(NODES.map((n) => lines(n, COMMAND_STARTS)), NODES.map(() => ['start A', 'start B']));
});

async function trial(t: ExecutionContext, index: number): Promise<void> {
  const target = current === 'A' ? 'B' : 'A';
  const delay = Math.floor(fractions[index]! * fullApplyMs);
  const label = `seed ${seed} trial ${index + 1} (${current} -> ${target}, kill after ${delay} ms of ~${fullApplyMs} ms)`;
  t.log(label);
  const before = Object.fromEntries(NODES.map((n) => [n, { service: lines(n, SERVICE_STARTS).length, command: lines(n, COMMAND_STARTS).length }]));

  const killed = await apply(revisions[target], delay);
  t.log(killed.killed ? `killed after ${killed.ms} ms` : `finished before the kill (exit ${killed.code})`);
  const owed = Object.fromEntries(NODES.map((n) => [n, restartOwed(n)]));
  for (const n of NODES) {
    for (const f of FILES) {
      const content = read(n, f);
      t.true(content === contents.A[n]?.[f] || content === contents.B[n]?.[f], `${label}: ${n}:${f} is torn (${content?.length ?? 'no'} bytes)`);
    }
  }

  const recovery = await apply(revisions[target]);
  current = target;
  t.is(recovery.code, 0, `${label}: the recovery apply failed:\n${recovery.output}`);
  const next = await plan(revisions[target]);
  t.is(next.code, 0, `${label}: the plan after the recovery is not empty:\n${next.output}`);
  for (const n of NODES) {
    t.deepEqual(filesOf(n), contents[target][n], `${label}: ${n} has revision ${target}'s files`);
    t.deepEqual(leftoverTemps(n), [], `${label}: no temporary copy left on ${n}`);
    const commands = lines(n, COMMAND_STARTS).slice(before[n]!.command);
    t.deepEqual(commands, [`start ${target}`], `${label}: the guarded command started exactly once on ${n}`);
    const restarts = lines(n, SERVICE_STARTS).length - before[n]!.service;
    const allowed = owed[n] ? [1, 2] : [1];
    t.true(allowed.includes(restarts), `${label}: ${n} restarted ${restarts} time(s); allowed ${allowed.join(' or ')} (restart ${owed[n] ? '' : 'not '}owed after the kill)`);
  }
}

for (let i = 0; i < TRIALS; i++) test.serial(`random kill ${i + 1}/${TRIALS}: killed, recovered in one apply, nothing torn or done twice`, (t) => trial(t, i));
