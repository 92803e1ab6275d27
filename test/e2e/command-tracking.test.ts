/**
 * Tracked command runs on a real runit test host (ADR 0006): a guarded command that runs 20 s outlives the
 * controller SIGKILLed in its middle, and the next apply waits for it and adopts its result instead of
 * starting a second copy; a guard-less command that finished after the kill is adopted, not run again; a
 * run lost with the node is started afresh. The commands count their starts in a log: the tests count
 * starts, not time.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { poll } from '../hosts/exec.js';
import { managedRecord, onHost } from './support/node-checks.js';
import { applyKilled, useOneNodeSite } from './support/one-node-site.js';

const SLOW_LOG = '/var/lib/tracked/slow.log';
const SLOW_DONE = '/var/lib/tracked/slow.done';
const QUICK_LOG = '/var/lib/tracked/quick.log';
const RUNS = '/var/lib/underlay/commands';

const s = useOneNodeSite([
  '    - command:',
  '        name: slow-init',
  `        argv: ["/bin/sh", "-c", "mkdir -p /var/lib/tracked; echo start >> ${SLOW_LOG}; sleep 20; touch ${SLOW_DONE}"]`,
  `        creates: ${SLOW_DONE}`,
]);

const lines = (nodePath: string): string[] => {
  const file = onHost(s().hosts, 'node1', nodePath);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

test.serial('killed during a 20 s guarded command: the next apply waits for it and adopts its result, and it started once', async (t) => {
  const killed = await applyKilled(s(), { until: () => lines(SLOW_LOG).length > 0 });
  // apply prints a change's line when it is done, so of the killed run only its plan summary is there.
  t.regex(killed.output, /\b2 to run\b/);
  t.false(existsSync(onHost(s().hosts, 'node1', SLOW_DONE)), 'killed in the middle of the command');
  const marker = JSON.parse(readFileSync(onHost(s().hosts, 'node1', `${RUNS}/slow-init.json`), 'utf8')) as { pid: number; timeoutSeconds: number };
  t.is(marker.timeoutSeconds, 600);

  const plan = await s().underlay(['plan', '--no-color']);
  t.regex(plan.stdout, /run command:slow-init/);
  t.regex(plan.stdout, /still running \(started \S+ by run \d+, which did not finish\): wait for it and adopt its result/, plan.stdout);

  const rerun = await s().underlay(['apply', '--no-color']);
  t.is(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
  t.regex(rerun.stdout, /applied +run node1\/command:slow-init/);
  t.deepEqual(lines(SLOW_LOG), ['start'], 'the command started exactly once');
  t.true(existsSync(onHost(s().hosts, 'node1', SLOW_DONE)), 'its work is done');
  t.truthy(managedRecord(s().hosts, 'node1')['command:slow-init'], 'the adopted run is recorded');
  t.false(existsSync(onHost(s().hosts, 'node1', `${RUNS}/slow-init.json`)), 'its marker is retired');

  const again = await s().underlay(['apply', '--no-color', '--detailed-exitcode']);
  t.is(again.code, 0, `the apply after it has nothing to do:\n${again.stdout}\n${again.stderr}`);
  t.deepEqual(lines(SLOW_LOG), ['start']);
});

test.serial('a guard-less command that finished after the controller died is adopted, not run again', async (t) => {
  await s().commit('a guard-less command that takes a few seconds', (dir) =>
    appendFile(
      path.join(dir, 'modules/base.yaml'),
      ['    - command:', '        name: quick-count', `        argv: ["/bin/sh", "-c", "echo start >> ${QUICK_LOG}; sleep 3"]`, ''].join('\n'),
    ),
  );
  await applyKilled(s(), { until: () => lines(QUICK_LOG).length > 0 });
  // Nothing but the marker's status says it ran: no guard, and the record was never updated.
  await poll('quick-count finished on the node', 60_000, () => (existsSync(onHost(s().hosts, 'node1', `${RUNS}/quick-count.status`)) ? true : undefined), 200);
  t.is(managedRecord(s().hosts, 'node1')['command:quick-count'], undefined);

  const rerun = await s().underlay(['apply', '--no-color']);
  t.is(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
  t.regex(rerun.stdout, /finished with exit 0 \(started \S+ by run \d+, which did not finish\): its result is adopted, it does not run again/);
  t.deepEqual(lines(QUICK_LOG), ['start'], 'it ran exactly once');
  t.truthy(managedRecord(s().hosts, 'node1')['command:quick-count']);
  const again = await s().underlay(['apply', '--no-color', '--detailed-exitcode']);
  t.is(again.code, 0, `${again.stdout}\n${again.stderr}`);
});

test.serial('a run whose marker is from an earlier boot died with the node: it is started afresh', async (t) => {
  const done = onHost(s().hosts, 'node1', SLOW_DONE);
  const before = lines(SLOW_LOG).length;
  const marker = onHost(s().hosts, 'node1', `${RUNS}/slow-init.json`);
  // What a reboot in the middle of the command leaves: its marker, no status, another boot id.
  const [bootId] = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').split('\n');
  const otherBoot = bootId === '00000000-0000-0000-0000-000000000000' ? '11111111-1111-1111-1111-111111111111' : '00000000-0000-0000-0000-000000000000';
  const json = JSON.stringify({ bootId: otherBoot, hash: 'x', pid: 1, planHash: '', runId: '1', startTime: '1', startedAt: '2026-01-01T00:00:00Z', timeoutSeconds: 600 });
  const wrote = await s().hosts.run('node1', `mkdir -p ${RUNS} && printf '%s\\n' '${json}' > ${RUNS}/slow-init.json && rm -f ${SLOW_DONE}`);
  t.is(wrote.code, 0, wrote.stderr);
  t.true(existsSync(marker));
  t.false(existsSync(done));

  const plan = await s().underlay(['plan', '--no-color']);
  t.regex(plan.stdout, /creates \/var\/lib\/tracked\/slow\.done: missing \(the run an earlier apply started died with the node\)/, plan.stdout);
  const rerun = await s().underlay(['apply', '--no-color']);
  t.is(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
  t.is(lines(SLOW_LOG).length, before + 1, 'started once, afresh');
  t.true(existsSync(done));
});
