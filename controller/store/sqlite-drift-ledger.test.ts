/** The drift ledger in SQLite: open records and corrections survive reopening, per site; resolve and forget remove. */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import type { DriftRecord } from '../drift/drift-report.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';

const record = (id: string, firstSeen: string): DriftRecord => ({
  id,
  target: 'node1',
  kind: 'file',
  key: id.slice(id.indexOf('/') + 1),
  action: 'update',
  reason: 'content changed',
  before: { digest: 'sha256:b' },
  after: { digest: 'sha256:a' },
  mode: 'correct',
  disposition: 'correct',
  firstSeen,
  lastSeen: firstSeen,
  ageSeconds: 0,
  correctionsLastHour: 0,
});

test('open records and corrections survive reopening, per site; resolve drops a record, forgetting drops old corrections', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-drift-ledger-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = stateDatabaseFile(dir);
  const lab = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  const motd = record('node1/file:/etc/motd', '2026-01-01T10:00:00.000Z');
  await lab.driftLedger().update({ upsert: [{ id: motd.id, firstSeen: motd.firstSeen, record: motd }, { id: 'node1/file:/etc/issue', firstSeen: motd.firstSeen, record: record('node1/file:/etc/issue', motd.firstSeen) }], resolve: [] });
  await lab.driftLedger().recordCorrections([{ id: motd.id, at: '2026-01-01T10:01:00.000Z', outcome: 'succeeded', retryAt: null }], '2025-12-31T10:00:00.000Z');
  // Seen again: the record is rewritten, its first-seen time stays.
  await lab.driftLedger().update({ upsert: [{ id: motd.id, firstSeen: '2026-01-01T11:00:00.000Z', record: { ...motd, lastSeen: '2026-01-01T11:00:00.000Z' } }], resolve: ['node1/file:/etc/issue'] });
  await lab.close();

  const other = SqliteStore.open({ file, site: 'other', clock: steppingClock() });
  t.deepEqual(await other.driftLedger().open(), [], 'another site has its own ledger');
  await other.close();

  const again = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  const open = await again.driftLedger<DriftRecord>().open();
  t.deepEqual(open.map((o) => [o.id, o.firstSeen, o.record.lastSeen]), [[motd.id, motd.firstSeen, '2026-01-01T11:00:00.000Z']]);
  t.deepEqual(await again.driftLedger().corrections('2026-01-01T10:00:00.000Z'), [{ id: motd.id, at: '2026-01-01T10:01:00.000Z', outcome: 'succeeded', retryAt: null }]);
  t.deepEqual(await again.driftLedger().corrections('2026-01-01T10:02:00.000Z'), [], 'since: only later ones');
  await again.driftLedger().recordCorrections([{ id: motd.id, at: '2026-01-02T12:00:00.000Z', outcome: 'failed', retryAt: '2026-01-02T12:00:10.000Z' }], '2026-01-01T12:00:00.000Z');
  t.deepEqual((await again.driftLedger().corrections('2000-01-01T00:00:00.000Z')).map((c) => c.outcome), ['failed'], 'the old one is forgotten');
  await again.close();
});
