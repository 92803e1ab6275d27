/**
 * Test fixture, run as a child process by crash-safety.test.ts, which SIGKILLs it mid-run.
 *
 * A FAKE site: the "nodes" are marker files in a directory. The fake reconciler is slow, then appends one
 * line to the change's marker file; observing is listing the markers; planning is "every change whose marker
 * is missing". That is enough to check that the engine, its journal and a re-plan never lose nor repeat work.
 */
import { appendFileSync } from 'node:fs';
import { APPLIED, type KindEffects } from '../../reconcilers/kind-effects.js';
import { registry } from '../../reconcilers/registry.js';
import { systemClock } from '../../controller/clock.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { applyPlan } from '../../controller/apply/apply-plan.js';
import { markerFile, NODES, replan } from './fake-marker-site.js';
import { fakeNodes, testPlan, unusedTransport } from './fake-apply.js';

async function main(): Promise<void> {
  const [file, markers, delay] = process.argv.slice(2);
  if (!file || !markers || !delay) throw new Error('usage: crash-apply.fixture.ts DB MARKER_DIR DELAY_MS');
  const store = SqliteStore.open({ file, site: 'lab', clock: systemClock });
  const recovered = await store.recoverInterruptedRuns();
  for (const r of recovered) process.stdout.write(`recovered ${r.run.id} ${r.inFlight.map((e) => e.changeId).join(',')}\n`);
  const slowMarkerWriter: KindEffects = {
    async apply(_ctx, c) {
      await new Promise((r) => setTimeout(r, Number(delay)));
      appendFileSync(markerFile(markers, c.id), `applied ${c.id}\n`);
      return APPLIED;
    },
  };
  const result = await applyPlan({
    plan: testPlan(replan(markers)),
    nodes: fakeNodes(NODES),
    transport: unusedTransport,
    registry,
    effects: () => slowMarkerWriter,
    managedRecord: { update: () => Promise.resolve() },
    store,
    clock: systemClock,
    concurrency: 2,
    onEvent: (e) => {
      if (e.type === 'run-started') process.stdout.write(`run ${e.runId}\n`);
      if (e.type === 'change-started') process.stdout.write(`started ${e.change.id}\n`);
      if (e.type === 'change-finished') process.stdout.write(`finished ${e.result.id}\n`);
    },
  });
  process.stdout.write(`done ${result.status}\n`);
  await store.close();
}

await main();
