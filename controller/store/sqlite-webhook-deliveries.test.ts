import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';
import { checkBoundedDeliveryLog } from '../../test/support/delivery-log-contract.js';

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
  checkBoundedDeliveryLog(t, lab.webhookDeliveries(3));
});
