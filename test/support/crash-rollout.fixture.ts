/**
 * Test fixture, run as a child process by controller/apply/rollout-crash.test.ts, which SIGKILLs it mid-rollout.
 *
 * A FAKE site of six "nodes" whose changes are marker files (fake-marker-site.ts's way): each node has a
 * config file and the restart it triggers, rolled out two at a time. Planning is level-based: only the
 * changes whose marker is missing, and the rollout intents of the nodes with a restart left, so a second
 * run plans what a real re-plan would. The FAKE health check prints the node it gates and, for the node
 * named in HANG_GATE, never answers: the parent kills the process there, after the batch's changes and
 * before its gate is recorded.
 *
 * With FAIL_NODE set (rollback: failed-nodes, for controller/apply/rollout-crash.test.ts's rollback case),
 * that node's gate fails until its FAKE rollback (the config file again, from a FAKE last good revision)
 * left its own marker; with HANG_ROLLBACK=1 the rollback's first change prints and never returns, so the
 * parent kills the process in the middle of the rollback.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { APPLIED, type KindEffects } from '../../reconcilers/kind-effects.js';
import { registry } from '../../reconcilers/registry.js';
import { systemClock } from '../../controller/clock.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { applyPlan } from '../../controller/apply/apply-plan.js';
import type { RollbackSource } from '../../controller/apply/rollback-apply.js';
import { change, fakeNodes, instantTimers, testPlan, unusedTransport } from './fake-apply.js';
import { replanRollout, rolloutMarker, ROLLOUT_NODES } from './fake-rollout-site.js';

async function main(): Promise<void> {
  const [file, markers, hangGate] = process.argv.slice(2);
  if (!file || !markers) throw new Error('usage: crash-rollout.fixture.ts DB MARKER_DIR [HANG_GATE]');
  const store = SqliteStore.open({ file, site: 'lab', clock: systemClock });
  await store.recoverInterruptedRuns();
  const failNode = process.env.FAIL_NODE;
  const hangRollback = process.env.HANG_ROLLBACK === '1';
  const markerWriter: KindEffects = {
    apply(_ctx, c) {
      if (c.after?.rollback === true) {
        process.stdout.write(`rollback-apply ${c.id}\n`);
        if (hangRollback) return new Promise(() => setInterval(() => undefined, 1 << 30));
        appendFileSync(rolloutMarker(markers, `${c.id}#rollback`), `rolled back ${c.id}\n`);
        return Promise.resolve(APPLIED);
      }
      appendFileSync(rolloutMarker(markers, c.id), `applied ${c.id}\n`);
      return Promise.resolve(APPLIED);
    },
  };
  const plan = replanRollout(markers);
  const rollback: RollbackSource = {
    planNode: ({ node }) => Promise.resolve(testPlan([change(`${node}/file:/etc/app.conf`, { action: 'update', cluster: 'app', after: { rollback: true } })])),
  };
  const result = await applyPlan({
    // A failing gate is tried once (deadline 0): the system clock would otherwise wait out the real deadline.
    plan: failNode ? { ...plan, rollout: plan.rollout.map((r) => ({ ...r, rollback: 'failed-nodes' as const, batches: r.batches.map((b) => ({ ...b, deadlineSeconds: 0 })) })) } : plan,
    ...(failNode ? { rollback } : {}),
    nodes: fakeNodes(ROLLOUT_NODES),
    transport: unusedTransport,
    registry,
    effects: () => markerWriter,
    managedRecord: { update: () => Promise.resolve() },
    store,
    clock: systemClock,
    timers: instantTimers(),
    concurrency: 2,
    healthCheck: {
      check: (ctx, changes) => {
        process.stdout.write(`health ${ctx.node.name} ${changes.map((c) => c.id).join(',')}\n`);
        if (ctx.node.name === hangGate) return new Promise(() => setInterval(() => undefined, 1 << 30));
        const bad = ctx.node.name === failNode && !existsSync(rolloutMarker(markers, `${ctx.node.name}/file:/etc/app.conf#rollback`));
        return Promise.resolve(bad ? { healthy: false, message: 'app: unknown flag --bad (fake)' } : { healthy: true });
      },
    },
    onEvent: (e) => {
      if (e.type === 'change-started') process.stdout.write(`started ${e.change.id}\n`);
      if (e.type === 'batch-gate') process.stdout.write(`gate ${e.batch} ${e.nodes.join(',')}\n`);
      if (e.type === 'rollback') process.stdout.write(`rollback ${e.batch} ${e.message}\n`);
    },
  });
  process.stdout.write(`done ${result.status}\n`);
  await store.close();
}

await main();
