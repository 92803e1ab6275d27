/**
 * SIGTERM mid-apply on a real test host, to the real `underlay controller` process: the change in flight
 * (a guarded command that waits for a file the test writes on the node) finishes and is journalled, no
 * change begins after the signal, the process exits 0, and the next start carries out what was left.
 * Every wait is for something seen (a journal entry, a log line, an exit), never for a length of time.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { SqliteStore, stateDatabaseFile } from '../../controller/store/sqlite-store.js';
import { steppingClock } from '../../controller/clock.js';
import type { JournalEntry } from '../../controller/store/store.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { onHost } from './support/node-checks.js';
import { startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';

const RELEASE = '/var/lib/underlay-base/release';
const HELD_DONE = '/var/lib/underlay-base/held-done';
const AFTER_DONE = '/var/lib/underlay-base/after-done';

// `held` waits (bounded: 2 minutes) until the test writes RELEASE on the node; `later` runs after it.
const site = useOneNodeSite([
  '    - command:',
  '        name: held',
  `        argv: ["/bin/sh", "-c", 'i=0; while [ ! -e "$1" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; touch "$2"', "_", ${RELEASE}, ${HELD_DONE}]`,
  `        creates: ${HELD_DONE}`,
  '    - command:',
  '        name: later',
  `        argv: ["/bin/sh", "-c", 'touch "$1"', "_", ${AFTER_DONE}]`,
  `        creates: ${AFTER_DONE}`,
  `        onChangeOf: [command:held]`,
]);

let controller: ControllerProcess | undefined;
test.after.always(async () => {
  await controller?.stop('SIGKILL');
});

async function journalOf(runId: number): Promise<{ status: string; entries: JournalEntry[] }> {
  const store = SqliteStore.openReadOnly({ file: stateDatabaseFile(site().stateDir), site: 'lab', clock: steppingClock() });
  try {
    return { status: (await store.run(runId))?.status ?? 'none', entries: await store.journalOf(runId) };
  } finally {
    await store.close();
  }
}

const phases = (entries: JournalEntry[], changeId: string): string[] => entries.filter((e) => e.changeId === changeId).map((e) => e.phase);

test.serial('SIGTERM during a change: it finishes and is journalled, nothing else begins, exit 0; the next start finishes the job', async (t) => {
  const config = await writeControllerConfig(site(), ['  - name: lab', `    source: {repository: ${site().repoDir}, ref: main}`, '    concurrency: 1'].join('\n'));
  controller = startController(config);
  const running = await controller.waitForApi(
    '/api/v1/sites/lab/journal',
    (b) => Array.isArray(b.journal) && (b.journal as JournalEntry[]).some((e) => e.changeId === 'node1/command:held' && e.phase === 'started'),
    'the held command started',
  );
  const runId = (running.run as { id: number }).id;

  controller.child.kill('SIGTERM');
  await controller.waitForLog((l) => l.signal === 'SIGTERM', 'the controller saying it stops');
  // Written inside the node (not into its overlay's upper directory, which a running node may not see).
  await site().hosts.run('node1', `touch ${RELEASE}`);
  t.is(await controller.exited, 0, controller.output());

  const first = await journalOf(runId);
  t.is(first.status, 'interrupted');
  t.deepEqual(phases(first.entries, 'node1/command:held'), ['started', 'succeeded'], 'the change in flight finished and was journalled');
  t.deepEqual(phases(first.entries, 'node1/command:later'), ['skipped'], 'the change after it never began');
  t.is(first.entries.find((e) => e.changeId === 'node1/command:later')?.code, 'ControllerStopping');
  t.true(existsSync(onHost(site().hosts, 'node1', HELD_DONE)));
  t.false(existsSync(onHost(site().hosts, 'node1', AFTER_DONE)));

  controller = startController(config);
  const done = await controller.waitForLog((l) => l.msg === 'reconciled' && l.outcome === 'done', 'the next start reconciling');
  const second = await journalOf(done.runId as number);
  t.is(second.status, 'succeeded');
  t.deepEqual(phases(second.entries, 'node1/command:later'), ['started', 'succeeded'], 'what was left is done');
  t.deepEqual(phases(second.entries, 'node1/command:held'), [], 'what was done is not done again');
  t.true(existsSync(onHost(site().hosts, 'node1', AFTER_DONE)));

  // SIGHUP: an invalid file is refused and the running configuration stays; a valid one is taken.
  const text = await readFile(config, 'utf8');
  await writeFile(config, text.replace('concurrency: 1', 'concurrency: many'));
  controller.child.kill('SIGHUP');
  const refused = await controller.waitForLog((l) => l.msg === 'the new configuration is not valid; the running one stays', 'the invalid configuration refused');
  t.regex(String(refused.error), /controller\.yaml:\d+:\d+: error: sites\[0\]\.concurrency: /);
  await writeFile(config, text.replace('concurrency: 1', 'concurrency: 2'));
  controller.child.kill('SIGHUP');
  const reloaded = await controller.waitForLog((l) => l.msg === 'configuration reloaded', 'the configuration reloaded');
  t.deepEqual(reloaded.changed, ['lab']);
  t.is(await controller.stop(), 0);
});
