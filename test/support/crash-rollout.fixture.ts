/**
 * Test fixture, run as a child process by controller/apply/rollout-crash.test.ts, which SIGKILLs it mid-rollout.
 *
 * A FAKE site of six "nodes" whose changes are marker files (fake-marker-site.ts's way): each node has a
 * config file and the restart it triggers, rolled out two at a time. Planning is level-based: only the
 * changes whose marker is missing, and the rollout intents of the nodes with a restart left, so a second
 * run plans what a real re-plan would. The FAKE health check prints the node it gates and, for the node
 * named in HANG_GATE, never answers: the parent kills the process there, after the batch's changes and
 * before its gate is recorded.
 */
import { appendFileSync } from 'node:fs';
import { APPLIED, type KindEffects } from '../../reconcilers/kind-effects.js';
import { registry } from '../../reconcilers/registry.js';
import { systemClock } from '../../controller/clock.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { applyPlan } from '../../controller/apply/apply-plan.js';
import { fakeNodes, instantTimers, unusedTransport } from './fake-apply.js';
import { replanRollout, rolloutMarker, ROLLOUT_NODES } from './fake-rollout-site.js';

async function main(): Promise<void> {
  const [file, markers, hangGate] = process.argv.slice(2);
  if (!file || !markers) throw new Error('usage: crash-rollout.fixture.ts DB MARKER_DIR [HANG_GATE]');
  const store = SqliteStore.open({ file, site: 'lab', clock: systemClock });
  await store.recoverInterruptedRuns();
  const markerWriter: KindEffects = {
    apply(_ctx, c) {
      appendFileSync(rolloutMarker(markers, c.id), `applied ${c.id}\n`);
      return Promise.resolve(APPLIED);
    },
  };
  const result = await applyPlan({
    plan: replanRollout(markers),
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
        return Promise.resolve({ healthy: true });
      },
    },
    onEvent: (e) => {
      if (e.type === 'change-started') process.stdout.write(`started ${e.change.id}\n`);
      if (e.type === 'batch-gate') process.stdout.write(`gate ${e.batch} ${e.nodes.join(',')}\n`);
    },
  });
  process.stdout.write(`done ${result.status}\n`);
  await store.close();
}

await main();
