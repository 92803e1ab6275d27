/**
 * Drift corrections through the real `underlay controller` on 3 real runit test hosts, one cluster
 * (`maxUnavailable: 1`, failure budget 0, the `app-config` health gate), `drift.mode: correct`; the site is
 * test/support/rollout-site.ts: every service start leaves a line on its node, so restarts are counted.
 * Each drift check is asked for through the API (POST .../drift), so the test knows which check saw what;
 * the schedule is set never to fire during the test. Shared hosts, one state, serial tests:
 * 1. a hand edit of the config file on every node is corrected one node per batch, each batch gated before
 *    the next restarts, each service restarted once; the drift alerts fire and resolve;
 * 2. a correction whose gate fails on the first node (an unmanaged local override breaks it) trips the
 *    breaker: the rollout halts after batch 1, the other nodes are not touched, the rollout shows halted
 *    and RolloutHalted reaches the sink; resumed with the node recovered, the site converges;
 * 3. a loop on a node puts a hand edit back whenever it is corrected: after 3 corrections the resource is
 *    fighting, corrected no more, shown and alerted so;
 * 4. under `apply: approve`, and in a deny change window, a hand edit is reported and alerted but not
 *    corrected: the file stays hand-edited until it is put back.
 * Every alert is signed; no secret reaches the logs or an alert.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestHosts, type TestHostCluster } from '../hosts/harness.js';
import { ROLLOUT_CONFIG, ROLLOUT_LOCAL, ROLLOUT_NOTE, ROLLOUT_STARTS, writeRolloutSite } from '../support/rollout-site.js';
import { startAlertSink, type AlertSink } from './support/alert-sink.js';
import { parsePrometheusText } from '../support/prometheus-text.js';
import { API_TOKEN, startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';
import { git } from './support/e2e-site.js';
import { onHost, ssh } from './support/node-checks.js';

const HMAC_KEY = 'e2e-drift-rollout-alert-key-93ab';
const NODES = ['node1', 'node2', 'node3'];
const configId = (node: string): string => `${node}/file:${ROLLOUT_CONFIG}`;
const noteId = (node: string): string => `${node}/file:${ROLLOUT_NOTE}`;

let hosts: TestHostCluster | undefined;
let sink: AlertSink | undefined;
let controller: ControllerProcess | undefined;
let work = '';
let head = '';
/** What the controllers stopped so far printed: the last test greps all of it for secrets. */
let earlierOutput = '';

const h = (): TestHostCluster => {
  if (!hosts) throw new Error('the test hosts did not come up');
  return hosts;
};
const c = (): ControllerProcess => {
  if (!controller) throw new Error('the controller is not running');
  return controller;
};
const s = (): AlertSink => {
  if (!sink) throw new Error('the alert sink is not running');
  return sink;
};
const dirs = () => ({ stateDir: path.join(work, 'state'), secretsDir: path.join(work, 'secrets') });

const configOf = (node: string): string => readFileSync(onHost(h(), node, ROLLOUT_CONFIG), 'utf8');
const startsOf = (node: string): number => {
  const file = onHost(h(), node, ROLLOUT_STARTS);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('start ')).length : 0;
};

/** The controller for the site under `apply` (YAML flow mapping), its drift checks asked for by the test. */
async function runController(apply: string): Promise<ControllerProcess> {
  earlierOutput += controller?.output() ?? '';
  // A failed assertion ends its test before that test's stop: its controller must not outlive it.
  await controller?.stop('SIGKILL');
  const site = [
    '  - name: ro',
    `    source: {repository: ${path.join(work, 'site')}, ref: main}`,
    '    interval: 1h',
    `    apply: ${apply}`,
    // 1 January, 00:00: never during the test; every check is asked for through the API.
    '    drift: {schedule: "0 0 1 1 *"}',
    `    alerts: [{type: webhook, url: "${s().url}", secret: alert-hmac}]`,
  ].join('\n');
  controller = startController(await writeControllerConfig(dirs(), site));
  return controller;
}

type LogLine = Record<string, unknown>;
const driftLines = (): LogLine[] => c().logs.filter((l) => l.msg === 'drift checked');
const idsOf = (line: LogLine, field: string): string[] => (Array.isArray(line[field]) ? (line[field] as string[]) : []);

/** One drift check, asked for through the API; resolves with its log line (the one after those before it). */
async function driftNow(): Promise<LogLine> {
  const before = driftLines().length;
  const asked = await c().api('POST', '/api/v1/sites/ro/drift');
  if (asked.status !== 202) throw new Error(`POST drift answered ${asked.status}: ${JSON.stringify(asked.body)}`);
  // A check already running finishes first; the one asked for runs after it.
  const wanted = before + (asked.body.drift === 'coalesced' ? 2 : 1);
  await c().waitForLog(() => driftLines().length >= wanted, 'the drift check asked for');
  return driftLines()[wanted - 1]!;
}

const alertsOf = (event: string, key: string): number => s().alerts().filter((a) => a.event === event && a.key === key).length;
const indexOf = (event: string, key: string): number => s().alerts().findIndex((a) => a.event === event && a.key === key);
const waitAlert = (event: string, key: string): Promise<Record<string, unknown>> => s().waitFor((a) => a.event === event && a.key === key, `${event} ${key}`, () => c().output());

/** `underlay_circuit_breaker_tripped` of the cluster, scraped from /metrics. */
async function breakerTripped(): Promise<number | undefined> {
  const api = String(c().logs.find((l) => l.msg === 'API listening')?.api);
  const text = await (await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
  return parsePrometheusText(text).find((m) => m.name === 'underlay_circuit_breaker_tripped' && m.labels.site === 'ro' && m.labels.cluster === 'app')?.value;
}

/** The restarts and batch gates of the log lines from `mark` on, in order. */
function restartsAndGates(mark: number): string[] {
  return c()
    .logs.slice(mark)
    .flatMap((l) => {
      if (l.msg === 'change' && l.action === 'restart') return [`restart ${String(l.node)} ${String(l.outcome)}`];
      if (l.msg === 'batch gated') return [`gate ${(l.nodes as string[]).join(',')} ${l.healthy === true ? 'healthy' : 'unhealthy'}`];
      return [];
    });
}

test.before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-drift-rollout-'));
  hosts = await createTestHosts({ count: 3 });
  const site = await writeRolloutSite(work, h(), { maxUnavailable: '1', driftMode: 'correct', note: 'managed note' });
  head = await git(site.repoDir, 'rev-parse', 'HEAD');
  sink = await startAlertSink();
  await writeFile(path.join(work, 'secrets', 'alert-hmac'), HMAC_KEY, { mode: 0o600 });
  await runController('{policy: auto}');
  await c().waitForApi('/api/v1/sites/ro', (b) => b.lastAppliedRevision === head, 'the first apply');
  // The check after the first apply: settled before the tests count anything.
  await c().waitForLog((l) => l.msg === 'drift checked', 'the drift check after the first apply');
});

test.after.always(async () => {
  await controller?.stop('SIGKILL');
  await sink?.close();
  await hosts?.teardown();
  if (work !== '') await rm(work, { recursive: true, force: true });
});

test.serial('a hand edit on every node is corrected one node per batch, each gated before the next; one restart each; drift found, then resolved', async (t) => {
  const mark = c().logs.length;
  const starts = NODES.map(startsOf);
  await Promise.all(NODES.map((n) => ssh(h(), n, `echo 'hand edit' > ${ROLLOUT_CONFIG}`)));

  const corrected = await driftNow();
  t.deepEqual(idsOf(corrected, 'corrected'), NODES.map(configId), `corrected in one check: ${JSON.stringify(corrected)}`);
  t.deepEqual(restartsAndGates(mark), ['restart node1 applied', 'gate node1 healthy', 'restart node2 applied', 'gate node2 healthy', 'restart node3 applied', 'gate node3 healthy']);
  const lines = c().logs.slice(mark);
  for (const n of NODES) {
    const written = lines.findIndex((l) => l.msg === 'change' && l.change === configId(n) && l.outcome === 'applied');
    const restarted = lines.findIndex((l) => l.msg === 'change' && l.node === n && l.action === 'restart');
    t.true(written >= 0 && written < restarted, `${n}: the file put back before its service restarted`);
  }
  NODES.forEach((n, i) => {
    t.is(configOf(n), 'version 1\n', `${n} has the Git content`);
    t.is(startsOf(n), starts[i]! + 1, `${n} restarted exactly once`);
  });

  const next = await driftNow();
  t.deepEqual(idsOf(next, 'resolved'), NODES.map(configId));
  t.deepEqual(idsOf(next, 'drifted'), []);
  for (const n of NODES) {
    await waitAlert('DriftResolved', configId(n));
    t.is(alertsOf('DriftDetected', configId(n)), 1, `${n}: one DriftDetected`);
    t.true(indexOf('DriftDetected', configId(n)) < indexOf('DriftResolved', configId(n)), `${n}: found, then resolved`);
  }
  t.true(s().allSignedWith(HMAC_KEY));
});

test.serial('the breaker guards a correction: its gate fails on the first node, the rollout halts after batch 1, the others are untouched; RolloutHalted reaches the sink', async (t) => {
  const mark = c().logs.length;
  const starts = NODES.map(startsOf);
  await ssh(h(), 'node1', `echo 'flag --brokn' > ${ROLLOUT_LOCAL}`);
  await Promise.all(NODES.map((n) => ssh(h(), n, `echo 'hand edit' > ${ROLLOUT_CONFIG}`)));

  const halted = await driftNow();
  t.deepEqual(idsOf(halted, 'corrected'), [configId('node1')], 'only the first batch was corrected');
  t.deepEqual(restartsAndGates(mark), ['restart node1 applied', 'gate node1 unhealthy', 'restart node2 skipped', 'restart node3 skipped'], 'the later batches skipped');
  for (const n of ['node2', 'node3']) t.like(c().logs.slice(mark).find((l) => l.msg === 'change' && l.change === configId(n)), { outcome: 'skipped', code: 'FailureBudgetExceeded' });
  t.truthy(c().logs.slice(mark).find((l) => l.msg === 'rollout halted' && l.cluster === 'app'), 'the halt is logged');
  t.is(configOf('node1'), 'version 1\n');
  t.is(startsOf('node1'), starts[0]! + 1);
  for (const [i, n] of NODES.entries()) {
    if (n === 'node1') continue;
    t.is(configOf(n), 'hand edit\n', `${n} not touched`);
    t.is(startsOf(n), starts[i]!, `${n} not restarted`);
  }
  const rollout = (await c().api('GET', '/api/v1/sites/ro/rollouts/app')).body as { state: { status: string; failed: { node: string }[] } };
  t.is(rollout.state.status, 'halted');
  t.deepEqual(rollout.state.failed.map((f) => f.node), ['node1']);
  t.is(await breakerTripped(), 1, 'the breaker gauge shows the halt');
  const alert = await waitAlert('RolloutHalted', 'app');
  t.regex(String(alert.summary), /a drift correction/);
  t.regex(JSON.stringify(alert), /node1/);
  const drift = (await c().api('GET', '/api/v1/sites/ro/drift')).body as { open: { drifted: { id: string }[] } };
  t.deepEqual(drift.open.drifted.map((r) => r.id).sort(), NODES.map(configId), 'what the halt left is still drift (node1 too until the next check sees it put back)');

  // The operator repairs node1 and resumes. The reconcile the resume asks for has nothing of Git's to apply:
  // the hand edits are drift, which it leaves to the drift policy (ADR 0028). The check it asks for at once
  // corrects them, not held back by a backoff (the halt skipped them; they did not fail): the rollout carries
  // on, the site converges, the alerts resolve.
  await ssh(h(), 'node1', `rm ${ROLLOUT_LOCAL}`);
  const resolvedBefore = NODES.map((n) => alertsOf('DriftResolved', configId(n)));
  const resumeMark = c().logs.length;
  const since = (l: LogLine): boolean => c().logs.indexOf(l) >= resumeMark;
  const resumed = await c().api('POST', '/api/v1/sites/ro/rollouts/app/resume', { recovered: ['node1'] });
  t.is(resumed.status, 202, JSON.stringify(resumed.body));
  const reconciled = await c().waitForLog((l) => since(l) && l.msg === 'reconciled', 'the reconcile the resume asked for');
  t.like(reconciled, { outcome: 'done', changes: 0 }, JSON.stringify(reconciled));
  const held = await c().waitForLog((l) => since(l) && l.msg === 'drift held back for the drift policy', 'the drift held back');
  t.deepEqual(idsOf(held, 'changes'), ['node2', 'node3'].flatMap((n) => [configId(n), `${n}/service:ro-app#restart`]));
  const correcting = await c().waitForLog((l) => since(l) && l.msg === 'drift checked' && String(l.reason) === 'held-drift', 'the check the held drift asked for');
  t.deepEqual(idsOf(correcting, 'corrected'), [configId('node2'), configId('node3')]);
  await waitAlert('RolloutResumed', 'app');
  t.true(indexOf('RolloutHalted', 'app') < indexOf('RolloutResumed', 'app'));
  t.is(await breakerTripped(), 0);
  t.deepEqual(restartsAndGates(resumeMark), ['restart node2 applied', 'gate node2 healthy', 'restart node3 applied', 'gate node3 healthy'], 'the rollout carried on after batch 1');
  // The next check finds everything as Git has it.
  t.deepEqual(idsOf(await driftNow(), 'drifted'), [], 'no drift left');
  // Delivery never holds up a check: the notifications arrive after its log line.
  for (const [i, n] of NODES.entries()) {
    if (n !== 'node1') await s().waitFor(() => alertsOf('DriftResolved', configId(n)) > resolvedBefore[i]!, `DriftResolved ${configId(n)}`, () => c().output());
  }
  for (const n of NODES) t.is(configOf(n), 'version 1\n', `${n} converged`);
  NODES.forEach((n, i) => t.is(startsOf(n), starts[i]! + 1, `${n} restarted once in all`));
});

test.serial('fighting: a loop puts a hand edit back after every correction; after 3 corrections within the hour no 4th, shown and alerted as fighting', async (t) => {
  const mark = c().logs.length;
  const reedits = '/var/lib/ro/reedits';
  const loop = `i=0; while [ $i -lt 3000 ]; do if ! grep -q 'hand edit' ${ROLLOUT_NOTE}; then echo 'hand edit' > ${ROLLOUT_NOTE}; echo x >> ${reedits}; fi; i=$((i+1)); sleep 0.2; done`;
  const started = await h().run('node3', `rm -f ${reedits}; cat > /run/fighter.sh <<'EOS'\n${loop}\nEOS\nnohup sh /run/fighter.sh </dev/null >/dev/null 2>&1 & echo $! > /run/fighter.pid`);
  t.is(started.code, 0, started.stderr);
  t.teardown(() => h().run('node3', 'kill $(cat /run/fighter.pid)').then(() => undefined));
  const reeditCount = (): number => {
    const file = onHost(h(), 'node3', reedits);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l === 'x').length : 0;
  };
  const waitReedits = async (n: number): Promise<void> => {
    for (let i = 0; i < 600 && reeditCount() < n; i++) await new Promise((r) => setTimeout(r, 100));
    if (reeditCount() < n) throw new Error(`the loop did not re-edit ${n} times: ${JSON.stringify((await h().run('node3', `ps -ef; cat ${ROLLOUT_NOTE}`)).stdout)}\n${JSON.stringify(driftLines().slice(-3))}`);
  };
  await waitReedits(1);

  const checks: LogLine[] = [];
  for (let k = 1; k <= 5; k++) {
    checks.push(await driftNow());
    if (k <= 3) await waitReedits(k + 1);
  }
  const id = noteId('node3');
  t.deepEqual(checks.map((l) => idsOf(l, 'corrected').includes(id)), [true, true, true, false, false], 'corrected three times, then no more');
  t.deepEqual(checks.map((l) => idsOf(l, 'fighting').includes(id)), [false, false, false, true, true]);
  t.is(reeditCount(), 4, 'node-side: the loop found its edit undone 3 times');
  t.is(c().logs.slice(mark).filter((l) => l.msg === 'change' && l.change === id && l.outcome === 'applied').length, 3, 'three correction changes in all');

  const drift = (await c().api('GET', '/api/v1/sites/ro/drift')).body as { open: { drifted: { id: string; disposition: string; correctionsLastHour: number }[] } };
  t.like(drift.open.drifted.find((r) => r.id === id), { disposition: 'fighting', correctionsLastHour: 3 });
  const status = (await c().api('GET', '/api/v1/sites/ro')).body as { drift: { fighting: number } };
  t.is(status.drift.fighting, 1);
  const alert = await waitAlert('DriftDetected', `${id}#fighting`);
  t.regex(String(alert.summary), /is fighting: corrected 3 times within the hour/);
  t.is(readFileSync(onHost(h(), 'node3', ROLLOUT_NOTE), 'utf8'), 'hand edit\n', 'left as the other writer has it');
});

/** A hand edit under a policy that makes correction report-only: reported and alerted, not corrected, until put back. */
async function reportOnly(t: ExecutionContext, apply: string, note: RegExp): Promise<void> {
  t.is(await c().stop(), 0);
  await runController(apply);
  await c().waitForApi('/api/v1/sites/ro', (b) => b.attempted === true, 'the first reconcile');
  const mark = c().logs.length;
  const starts = startsOf('node1');
  const id = configId('node1');
  const detectedBefore = alertsOf('DriftDetected', id);
  await ssh(h(), 'node1', `echo 'hand edit' > ${ROLLOUT_CONFIG}`);
  for (let k = 0; k < 2; k++) {
    const line = await driftNow();
    t.true(idsOf(line, 'drifted').includes(id));
    t.deepEqual(idsOf(line, 'corrected'), []);
  }
  const drift = (await c().api('GET', '/api/v1/sites/ro/drift')).body as { open: { drifted: { id: string; disposition: string; note?: string }[] } };
  const record = drift.open.drifted.find((r) => r.id === id);
  t.is(record?.disposition, 'report');
  t.regex(record?.note ?? '', note);
  await s().waitFor((a) => a.event === 'DriftDetected' && a.key === id && alertsOf('DriftDetected', id) > detectedBefore, `DriftDetected ${id}`, () => c().output());
  t.is(configOf('node1'), 'hand edit\n', 'not corrected');
  t.is(startsOf('node1'), starts, 'not restarted');
  t.deepEqual(
    c().logs.slice(mark).filter((l) => l.msg === 'change'),
    [],
    'no change applied',
  );

  const resolvedBefore = alertsOf('DriftResolved', id);
  await ssh(h(), 'node1', `echo 'version 1' > ${ROLLOUT_CONFIG}`);
  t.deepEqual(idsOf(await driftNow(), 'resolved'), [id]);
  await s().waitFor(() => alertsOf('DriftResolved', id) > resolvedBefore, `DriftResolved ${id}`, () => c().output());
}

test.serial('report-only under apply: approve: a hand edit is alerted and shown as drift, not corrected, until put back', async (t) => {
  await reportOnly(t, '{policy: approve}', /correction is report-only: policy approve/);
});

test.serial('report-only in a deny change window: the same hand edit is alerted and shown, not corrected', async (t) => {
  await reportOnly(t, '{policy: auto, windows: [{kind: deny, schedule: "0 0 * * *", duration: 1d}]}', /correction is report-only: change window closed/);
  t.is(await c().stop(), 0);
  t.true(s().allSignedWith(HMAC_KEY), 'every alert of the file signed');
  const clientKey = readFileSync(path.join(work, 'secrets', 'ssh-client-key'), 'utf8').split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
  const output = earlierOutput + c().output();
  for (const secret of [HMAC_KEY, API_TOKEN, ...clientKey]) {
    t.false(output.includes(secret), 'no secret in the logs');
    t.false(s().deliveries.some((d) => d.body.includes(secret)), 'no secret in an alert');
  }
});
