/**
 * `underlay status` and the --plan staleness rule, driven in-process. The store is filled by the apply
 * engine with FAKE kind effects (test/support/fake-apply.ts).
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyPlan } from '../../apply/apply-plan.js';
import { change, fakeManagedRecord, fakeNodes, fakeEffects, testPlan, unusedTransport } from '../../../test/support/fake-apply.js';
import { emptyInventory } from '../../model/observed.js';
import { nodeInventoryHashes } from '../../plan/inventory-hash.js';
import { steppingClock } from '../../clock.js';
import { SqliteStore, stateDatabaseFile } from '../../store/sqlite-store.js';
import { main } from '../main.js';
import { staleNodes } from '../../runtime/steps/decide.js';
import { registry } from '../../../reconcilers/registry.js';

async function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env });
  return { code, stdout, stderr };
}

test('status with no state says where it looked, exits 1 and creates nothing', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-status-none-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const xdg = path.join(dir, 'xdg-state');
  for (const output of ['text', 'json']) {
    const byDefault = await run(['status', '--output', output], dir, { XDG_STATE_HOME: xdg });
    t.is(byDefault.code, 1);
    t.is(byDefault.stdout, '');
    t.is(byDefault.stderr, `error: no state at ${xdg}/underlay: nothing was applied with this state directory (give --state-dir DIR or set UNDERLAY_STATE_DIR to where apply keeps it) [UsageError]\n`);
  }
  const explicit = await run(['status', '--state-dir', 'elsewhere'], dir);
  t.is(explicit.code, 1);
  t.regex(explicit.stderr, new RegExp(`no state at ${dir}/elsewhere:`));
  t.deepEqual(readdirSync(dir), [], 'no database, no state directory, no .state in the current directory');
});

test('status prints conditions from the state directory and exits 1 while a node has failed', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-status-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = SqliteStore.open({ file: stateDatabaseFile(path.join(dir, 'state')), site: 'lab', clock: steppingClock() });
  const log: string[] = [];
  await applyPlan({
    plan: testPlan([change('n1/file:/a'), change('n2/file:/a')]),
    nodes: fakeNodes(['n1', 'n2']),
    transport: unusedTransport,
    registry,
    effects: fakeEffects(log, { fail: ['n2/file:/a'] }).lookup,
    managedRecord: fakeManagedRecord(log),
    store,
    clock: steppingClock(),
    concurrency: 2,
  });
  await store.close();

  const text = await run(['status', '--state-dir', 'state'], dir);
  t.is(text.code, 1);
  t.regex(text.stdout, /^Last run 1: failed/);
  t.regex(text.stdout, /n1 @ c0mmit\n {4}Ready=True Converged/);
  t.regex(text.stdout, /n2\n {4}Failed=True ApplyFailed: n2\/file:\/a: fake failure/);

  const json = await run(['status', '--state-dir', 'state', '--output', 'json'], dir);
  const parsed = JSON.parse(json.stdout) as { nodes: { name: string; conditions: { type: string; status: string }[] }[] };
  t.deepEqual(
    parsed.nodes.map((n) => [n.name, n.conditions.find((c) => c.type === 'Ready')?.status]),
    [
      ['n1', 'True'],
      ['n2', 'False'],
    ],
  );
});

test('a saved plan is stale for exactly the nodes whose observed state moved on', (t) => {
  const inventory = emptyInventory();
  for (const n of ['n1', 'n2', 'n3']) inventory.nodes[n] = { reachable: true, facts: { n }, managed: {}, resources: {} };
  const plan = { ...testPlan([change('n1/file:/a'), change('n2/file:/a')]), nodeInventoryHashes: nodeInventoryHashes(inventory) };
  t.deepEqual(staleNodes(plan, inventory), []);
  const moved = structuredClone(inventory);
  (moved.nodes.n2 as { facts: Record<string, unknown> }).facts.kernel = '6.1';
  (moved.nodes.n3 as { facts: Record<string, unknown> }).facts.kernel = '6.1';
  t.deepEqual(staleNodes(plan, moved), ['n2'], 'n3 has no changes in the plan, so its move does not matter');
});
