/**
 * Test fixture, run as a child process by sqlite-store.test.ts: writes journal entries as fast as it can and
 * reports each one once the store has acknowledged it, so the parent can SIGKILL it mid-write and check
 * that everything acknowledged survived.
 */
import { systemClock } from '../../controller/clock.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';

const file = process.argv[2];
if (!file) throw new Error('usage: journal-writer.fixture.ts DB');
const store = SqliteStore.open({ file, site: 'lab', clock: systemClock });
const run = await store.beginRun({ revisionCommit: 'c0ffee', planHash: 'p1', nodes: [] });
process.stdout.write(`run ${run.id}\n`);
for (let i = 0; ; i++) {
  await store.journal({
    runId: run.id,
    changeId: `node-${i % 7}/file:/etc/f${i}`,
    node: `node-${i % 7}`,
    key: `file:/etc/f${i}`,
    action: 'create',
    phase: 'started',
    detail: 'x'.repeat(i % 500),
  });
  process.stdout.write(`ack ${i}\n`);
}
