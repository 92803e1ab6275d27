/**
 * `underlay force-unlock` and the locks section of `status`, driven in-process against a real state
 * directory. Removing node leases needs nodes: that is tested on real test hosts (test/e2e/locking).
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../../clock.js';
import { SqliteStore, stateDatabaseFile } from '../../store/sqlite-store.js';
import { main } from '../main.js';

async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env: {} });
  return { code, stdout, stderr };
}

const holder = { site: 'lab', host: 'ctl-9', boot: 'b', pidNamespace: 'pid:[9]', pid: 4242, run: 12, since: '2025-01-01T00:00:00.000Z' };

test('force-unlock removes the site lock whoever holds it, with a warning; status shows the lock until then', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-unlock-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = SqliteStore.open({ file: stateDatabaseFile(path.join(dir, 'state')), site: 'lab', clock: steppingClock() });
  await store.beginRun({ revisionCommit: 'c1', planHash: 'h', nodes: [] });
  t.true((await store.acquireSiteLock('a1', holder)).acquired);
  await store.close();

  const status = await run(['status', '--state-dir', 'state'], dir);
  t.regex(status.stdout, /\nLocks\n {2}site lab: held by site lab, host ctl-9, pid 4242, run 12, since 2025-01-01T00:00:00\.000Z\n$/);

  const unlocked = await run(['force-unlock', '--site', 'lab', '--state-dir', 'state'], dir);
  t.is(unlocked.code, 0, unlocked.stderr);
  t.regex(unlocked.stderr, /^warning: force-unlock removes locks whoever holds them\. If the apply that holds one is still running, two applies now change the same nodes at once/);
  t.is(unlocked.stdout, 'site lab: removed the site lock of site lab, host ctl-9, pid 4242, run 12, since 2025-01-01T00:00:00.000Z\n');
  t.is((await run(['force-unlock', '--site', 'lab', '--state-dir', 'state'], dir)).stdout, 'site lab: not locked\n');
  t.regex((await run(['status', '--state-dir', 'state'], dir)).stdout, /\nLocks\n {2}site lab: not locked\n$/);
});

test('force-unlock without state creates none', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-unlock-none-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const result = await run(['force-unlock', '--site', 'lab', '--state-dir', 'state'], dir);
  t.is(result.code, 0);
  t.is(result.stdout, `site lab: no state at ${dir}/state, so no site lock\n`);
  t.deepEqual(readdirSync(dir), []);
});
