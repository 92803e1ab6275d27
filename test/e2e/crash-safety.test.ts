/**
 * Crash safety on real runit test hosts: the real `underlay apply` is SIGKILLed at exact points chosen with
 * the fault-injection hook (controller/apply/fault-injection.ts: the process writes a marker file and stops
 * there for good), so nothing here depends on timing. After every kill: the interrupted run is reported as
 * such, every change it journalled `succeeded` is really in effect (a fresh plan does not plan it again), the
 * next apply completes with exit 0, and the one after that changes nothing.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createE2ESite, underlayBin, type CliResult, type E2ESite } from './support/e2e-site.js';
import { allRunitServices, onHost, ssh } from './support/node-checks.js';
import { planChanges, planLive } from './support/plan-live.js';
import { SqliteStore, stateDatabaseFile } from '../../controller/store/sqlite-store.js';
import { steppingClock } from '../../controller/clock.js';
import type { JournalEntry } from '../../controller/store/store.js';

let site: E2ESite | undefined;
let scratch = '';
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};
const names = (): string[] => s().hosts.hosts.map((h) => h.name);

const COUNTER = '/var/lib/underlay-base/count-runs.log';
const COUNTER_DONE = '/var/lib/underlay-base/count-runs.done';

test.before(async () => {
  site = await createE2ESite({ count: 3 });
  scratch = await mkdtemp(path.join(tmpdir(), 'underlay-crash-'));
  // A guarded command whose every run leaves a line: how the test sees that `creates` kept it to one run.
  await site.commit('a command that counts its runs', (dir) =>
    appendFile(
      path.join(dir, 'modules/base.yaml'),
      [
        '    - command:',
        '        name: count-runs',
        `        argv: ["/bin/sh", "-c", 'echo ran >> "$1" && touch "$2"', "_", ${COUNTER}, ${COUNTER_DONE}]`,
        `        creates: ${COUNTER_DONE}`,
        '',
      ].join('\n'),
    ),
  );
});
test.after.always(async () => {
  await site?.teardown();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const siteArgs = (): string[] => ['--repo', s().repoDir, '--state-dir', s().stateDir, '--secrets-dir', s().secretsDir, '--no-color'];

/**
 * Runs `underlay apply` with a fault point armed and SIGKILLs it once it reports standing there. One change at
 * a time, so that nothing else moves on while it stands still. Returns what the marker file says.
 */
async function applyKilledAt(point: string): Promise<string> {
  const marker = path.join(scratch, `marker-${Date.now()}`);
  const child = spawn(process.execPath, [underlayBin, 'apply', ...siteArgs(), '--concurrency', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, UNDERLAY_FAULT_PAUSE: point, UNDERLAY_FAULT_MARKER: marker },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  // Bounded: a whole apply of this site takes seconds.
  for (let i = 0; i < 1200 && !existsSync(marker); i++) {
    if (ended) throw new Error(`apply ended before reaching ${point}:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!existsSync(marker)) {
    child.kill('SIGKILL');
    throw new Error(`apply did not reach ${point} in 120 s:\n${output}`);
  }
  const reached = readFileSync(marker, 'utf8').trim();
  child.kill('SIGKILL');
  await exited;
  return reached;
}

async function apply(extra: string[] = []): Promise<CliResult> {
  return s().underlay(['apply', '--no-color', ...extra]);
}

interface RunJournal {
  runId: number;
  status: string;
  entries: JournalEntry[];
}

/** The newest run, as `underlay status` leaves it (it settles runs whose process died), with its journal. */
async function newestRun(): Promise<RunJournal> {
  const status = await s().underlay(['status', '--output', 'json']);
  const parsed = JSON.parse(status.stdout) as { lastRun: { id: number; status: string }; nodes: { name: string; conditions: { type: string; message: string }[] }[] };
  const store = SqliteStore.open({ file: stateDatabaseFile(s().stateDir), site: 'lab', clock: steppingClock() });
  try {
    return { runId: parsed.lastRun.id, status: parsed.lastRun.status, entries: await store.journalOf(parsed.lastRun.id) };
  } finally {
    await store.close();
  }
}

/**
 * After a kill at `changeId`: the run is interrupted with that change in flight, and whatever it journalled
 * `succeeded` is really on the nodes: a fresh live plan does not contain it again.
 */
async function journalAgreesWithNodes(t: ExecutionContext, changeId: string): Promise<void> {
  const run = await newestRun();
  t.is(run.status, 'interrupted', `run ${run.runId} is reported interrupted`);
  const outcomes = new Set(run.entries.filter((e) => e.changeId === changeId).map((e) => e.phase));
  t.deepEqual([...outcomes], ['started'], `${changeId} was started and has no outcome`);
  const status = JSON.parse((await s().underlay(['status', '--output', 'json'])).stdout) as {
    nodes: { name: string; conditions: { type: string; message: string }[] }[];
  };
  const node = changeId.slice(0, changeId.indexOf('/'));
  const interrupted = status.nodes.find((n) => n.name === node)?.conditions.find((c) => c.type === 'Interrupted');
  t.truthy(interrupted?.message.includes(changeId), `status says ${node} was interrupted during ${changeId}`);

  const plan = await planLive(s());
  t.is(plan.code, 0, plan.stderr);
  const planned = new Set(planChanges(plan.stdout));
  const succeeded = run.entries.filter((e) => e.phase === 'succeeded');
  for (const e of succeeded) t.false(planned.has(`${e.node} ${e.action} ${e.key}`), `${e.changeId} journalled succeeded but planned again`);
}

/** The rerun completes, and the apply after it has nothing to do. */
async function rerunConverges(t: ExecutionContext): Promise<CliResult> {
  const rerun = await apply();
  t.is(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
  const again = await apply(['--detailed-exitcode']);
  t.is(again.code, 0, `a third apply changes nothing:\n${again.stdout}\n${again.stderr}`);
  return rerun;
}

/** Names of files an interrupted atomic write could leave behind, anywhere on the node's disk. */
function leftoverTemps(node: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.name.startsWith('.underlay.')) found.push(p);
      else if (e.isDirectory() && !e.isSymbolicLink()) walk(p);
    }
  };
  for (const dir of ['/etc', '/var/lib']) {
    const root = onHost(s().hosts, node, dir);
    if (existsSync(root)) walk(root);
  }
  return found;
}

const counterLines = (node: string): number => readFileSync(onHost(s().hosts, node, COUNTER), 'utf8').split('\n').filter(Boolean).length;

test.serial('killed right after a guarded command ran, then before a service create: the rerun completes and the command ran once', async (t) => {
  const first = await applyKilledAt('after:*/command:count-runs');
  t.regex(first, /^after \w+\/command:count-runs$/);
  const ran = first.split(' ')[1]!;
  const ranOn = ran.slice(0, ran.indexOf('/'));
  t.is(counterLines(ranOn), 1, 'the command ran before the kill');
  await journalAgreesWithNodes(t, ran);

  const second = await applyKilledAt('before:*/service:etcd');
  t.regex(second, /^before \w+\/service:etcd$/);
  const createdOn = second.split(' ')[1]!.split('/')[0]!;
  t.false(existsSync(onHost(s().hosts, createdOn, '/etc/sv/etcd/run')), 'killed before the service was touched');
  await journalAgreesWithNodes(t, `${createdOn}/service:etcd`);

  await rerunConverges(t);
  for (const n of names()) t.is(counterLines(n), 1, `count-runs ran exactly once on ${n}`);
  const services = await allRunitServices(s().hosts);
  for (const n of names()) t.regex(services[n]?.etcd ?? '', /^\d+$/, `etcd runs on ${n}`);
});

test.serial('killed during a file write (copy written, not renamed): the target is old or new, never partial, and no copy is left', async (t) => {
  const node = names()[1]!;
  const oldMotd = readFileSync(onHost(s().hosts, node, '/etc/motd'), 'utf8');
  await s().commit('new banner', async (dir) => {
    const file = path.join(dir, 'site.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('Local changes are reported as drift.', 'Crash-tested.'));
  });
  t.is(await applyKilledAt(`during:${node}/file:/etc/motd`), `during ${node}/file:/etc/motd`);
  t.is(readFileSync(onHost(s().hosts, node, '/etc/motd'), 'utf8'), oldMotd, 'the target still has its old content');
  const temps = leftoverTemps(node);
  t.is(temps.length, 1, `the killed write left its copy: ${temps.join(', ')}`);
  t.true(readFileSync(temps[0]!, 'utf8').includes('Crash-tested.'), 'the copy is complete');
  await journalAgreesWithNodes(t, `${node}/file:/etc/motd`);
  // Its hash was recorded before the write, pending: the unfinished write is no drift, which a controller's
  // reconcile would leave to the drift policy (ADR 0028), but work the next run must finish.
  const record = JSON.parse(readFileSync(onHost(s().hosts, node, '/var/lib/underlay/managed.json'), 'utf8')) as { resources: Record<string, unknown> };
  t.like(record.resources['file:/etc/motd'], { applyPending: true });
  const live = await planLive(s(), ['--output', 'json']);
  t.is(live.code, 0, live.stderr);
  const motd = (JSON.parse(live.stdout) as { changes: { id: string; drift?: true }[] }).changes.find((c) => c.id === `${node}/file:/etc/motd`);
  t.truthy(motd, 'the write is planned again');
  t.is(motd?.drift, undefined, 'and not as drift');

  await rerunConverges(t);
  const confirmed = JSON.parse(readFileSync(onHost(s().hosts, node, '/var/lib/underlay/managed.json'), 'utf8')) as { resources: Record<string, Record<string, unknown>> };
  t.false('applyPending' in (confirmed.resources['file:/etc/motd'] ?? {}), 'the rerun\'s write confirmed it');
  for (const n of names()) {
    t.true((await ssh(s().hosts, n, 'cat /etc/motd')).endsWith('Crash-tested.\n'), `new banner on ${n}`);
    t.deepEqual(leftoverTemps(n), [], `no temporary copies left on ${n}`);
  }
});

test.serial('killed between a config change and the restart it triggers: the rerun still restarts the service', async (t) => {
  const [n1, n2, n3] = names() as [string, string, string];
  const before = await allRunitServices(s().hosts);
  const pid = (services: typeof before, n: string): string => services[n]?.etcd ?? 'not running';
  await s().commit('etcdctl.env comment', (dir) => appendFile(path.join(dir, 'templates/etcdctl.env.liquid'), '# crash test\n'));

  // The config is written and journalled as started; the restart has not happened.
  t.is(await applyKilledAt(`after:${n1}/file:/etc/etcd/etcdctl.env`), `after ${n1}/file:/etc/etcd/etcdctl.env`);
  t.true(readFileSync(onHost(s().hosts, n1, '/etc/etcd/etcdctl.env'), 'utf8').endsWith('# crash test\n'));
  t.is(pid(await allRunitServices(s().hosts), n1), pid(before, n1), 'not restarted yet');
  const record = JSON.parse(readFileSync(onHost(s().hosts, n1, '/var/lib/underlay/managed.json'), 'utf8')) as {
    resources: Record<string, { restartPending?: boolean }>;
  };
  t.true(record.resources['service:etcd']?.restartPending, 'the node remembers the restart it is owed');
  await journalAgreesWithNodes(t, `${n1}/file:/etc/etcd/etcdctl.env`);

  // The next run owes n1 its restart although n1's file is done; it is killed in turn before n2's restart.
  t.is(await applyKilledAt(`before:${n2}/service:etcd#restart`), `before ${n2}/service:etcd#restart`);
  const mid = await allRunitServices(s().hosts);
  t.not(pid(mid, n1), pid(before, n1), `${n1} restarted by the run after the crash`);
  t.regex(pid(mid, n1), /^\d+$/);
  t.is(pid(mid, n2), pid(before, n2), `${n2} not restarted yet`);
  t.true(readFileSync(onHost(s().hosts, n2, '/etc/etcd/etcdctl.env'), 'utf8').endsWith('# crash test\n'));
  const interruptedRun = await newestRun();
  t.true(
    interruptedRun.entries.some((e) => e.changeId === `${n1}/service:etcd#restart` && e.phase === 'succeeded'),
    'the owed restart was journalled',
  );
  await journalAgreesWithNodes(t, `${n2}/service:etcd#restart`);

  const rerun = await rerunConverges(t);
  t.regex(rerun.stdout, /restart interrupted by a controller crash/, rerun.stdout);
  const after = await allRunitServices(s().hosts);
  for (const n of [n2, n3]) {
    t.not(pid(after, n), pid(before, n), `${n} restarted`);
    t.regex(pid(after, n), /^\d+$/);
  }
  t.is(pid(after, n1), pid(mid, n1), `${n1} was not restarted a second time`);
  for (const n of names()) {
    const flags = JSON.parse(readFileSync(onHost(s().hosts, n, '/var/lib/underlay/managed.json'), 'utf8')) as { resources: Record<string, { restartPending?: boolean }> };
    t.deepEqual(Object.keys(flags.resources).filter((k) => flags.resources[k]?.restartPending), [], `no restart still owed on ${n}`);
  }
});

test.serial('killed during a restart, after the definition changed: the rerun restarts onto the new definition', async (t) => {
  const n3 = names()[2]!;
  const before = await allRunitServices(s().hosts);
  await s().commit('haproxy: a larger connection limit', async (dir) => {
    const file = path.join(dir, 'modules/haproxy.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('args: ["-W", "-f", "/etc/haproxy/haproxy.cfg", "-db"]', 'args: ["-W", "-f", "/etc/haproxy/haproxy.cfg", "-db", "-n", "4096"]'));
  });
  // Inside the service change: the new run script is written, the `sv restart` not yet issued.
  t.is(await applyKilledAt(`during:${n3}/service:haproxy`), `during ${n3}/service:haproxy`);
  t.regex(readFileSync(onHost(s().hosts, n3, '/etc/sv/haproxy/run'), 'utf8'), /4096/);
  t.is((await allRunitServices(s().hosts))[n3]?.haproxy, before[n3]?.haproxy, 'still the old process');
  await journalAgreesWithNodes(t, `${n3}/service:haproxy`);

  const rerun = await rerunConverges(t);
  t.regex(rerun.stdout, new RegExp(`${n3}/service:haproxy#restart`), rerun.stdout);
  const after = await allRunitServices(s().hosts);
  for (const n of names()) t.not(after[n]?.haproxy, before[n]?.haproxy, `haproxy restarted on ${n}`);
  const cmdline = await ssh(s().hosts, n3, `tr '\\0' ' ' < /proc/${after[n3]?.haproxy}/cmdline`);
  t.regex(cmdline, /-n 4096/, 'the running haproxy has the new arguments');
});
