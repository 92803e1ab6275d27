import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';

test('accepted delivery ids outlive the connection, per site', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-deliveries-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = stateDatabaseFile(dir);
  const lab = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  t.true(lab.webhookDeliveries().firstTime('d-1'));
  t.false(lab.webhookDeliveries().firstTime('d-1'), 'a copy on the same connection');
  await lab.close();

  const again = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  const edge = SqliteStore.open({ file, site: 'edge', clock: steppingClock() });
  t.false(again.webhookDeliveries().firstTime('d-1'), 'a replay after a restart is still known');
  t.true(edge.webhookDeliveries().firstTime('d-1'), "another site's receiver has its own ids");
  await again.close();
  await edge.close();
});

test('the log keeps the newest ids per site, and a forgotten id is taken again', (t) => {
  const lab = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const log = lab.webhookDeliveries(3);
  for (const id of ['a', 'b', 'c']) t.true(log.firstTime(id));
  t.false(log.firstTime('a'));
  t.true(log.firstTime('d'));
  t.is(log.size, 3);
  t.true(log.firstTime('a'), 'the oldest was pushed out');
  t.false(log.firstTime('d'));
  log.forget('d');
  t.true(log.firstTime('d'), 'a delivery not acted on is not a replay when retried');
  t.is(log.size, 3);
});
