/**
 * Rehearsal: a site configured with `observe: {snapshot}` is planned and checked for drift against that
 * recorded inventory, with the real Git repository, loader, planner, drift assessment and SQLite store. Its
 * secret store holds no SSH key, so any attempt to reach a node would fail the check.
 */
import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock, systemTimers } from '../clock.js';
import { renderInventorySnapshot } from '../inventory/snapshot.js';
import { loadSpec } from '../load/load-spec.js';
import { KeyedQueue } from '../model/keyed-queue.js';
import type { Inventory } from '../model/observed.js';
import { resolveSite } from '../resolve/resolve-site.js';
import { convergedInventory } from '../../test/support/converged-inventory.js';
import { git, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';
import { revisionOf, validSite } from '../../test/support/site-files.js';
import { parseControllerConfig } from './controller-config.js';
import { checkSiteDrift } from './site-drift.js';
import { siteSteps } from './site-reconcile.js';
import { withSiteObservation } from './snapshot-observation.js';

test.after.always(removeTempDirs);

const SITE_DOC = 'apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata:\n  name: lab\nspec:\n  serviceManager: runit\n';

/** A committed site, its converged snapshot beside it, and the controller's view of it. */
function rehearsal() {
  const dir = tempDir('underlay-rehearsal-');
  const repo = path.join(dir, 'site');
  const files = { ...validSite(), 'site.yaml': SITE_DOC } as Record<string, string>;
  mkdirSync(repo);
  writeFiles(repo, files);
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'site');
  const spec = loadSpec(revisionOf(files)).spec!;
  const snapshot = path.join(dir, 'inventory.json');
  writeFileSync(snapshot, renderInventorySnapshot(convergedInventory(resolveSite(spec, {}, {}).desired!)));
  const config = parseControllerConfig(
    path.join(dir, 'controller.yaml'),
    `apiVersion: underlay.dev/v1alpha1\nkind: ControllerConfig\nstateDir: state\nsecretsDir: secrets\nsites:\n  - {name: lab, source: {repository: site, ref: main}, apply: {policy: plan-only}, observe: {snapshot: inventory.json}}\n`,
  );
  mkdirSync(path.join(dir, 'secrets'), { mode: 0o700 });
  const stderr: string[] = [];
  const ctx = {
    controller: config,
    site: config.sites[0]!,
    io: { stdout: () => undefined, stderr: (text: string) => void stderr.push(text), cwd: dir, env: {} },
    queue: new KeyedQueue(),
    clock: systemClock,
    timers: systemTimers,
    stop: { requested: () => undefined },
    onEvent: () => undefined,
    random: () => 0.5,
  };
  const edit = (change: (inventory: Inventory) => void): void => {
    const inventory = JSON.parse(readFileSync(snapshot, 'utf8')) as Inventory;
    change(inventory);
    writeFileSync(snapshot, JSON.stringify(inventory));
  };
  return { ctx, snapshot, stderr, edit };
}

test('a replayed site reads its snapshot where a live site observes its nodes; a live site is left as it was', (t) => {
  const { ctx } = rehearsal();
  const names = (site: typeof ctx.site) => withSiteObservation(site, siteSteps(site, null, systemClock), ctx.io).map((s) => s.name);
  t.deepEqual(names(ctx.site), ['fetch-revision', 'load', 'site-id', 'resolve', 'read-inventory', 'resolve', 'plan', 'hold-drift']);
  const live = { ...ctx.site, observe: undefined };
  t.deepEqual(names(live), ['fetch-revision', 'load', 'site-id', 'resolve', 'observe', 'resolve', 'plan', 'hold-drift']);
});

test('the drift check runs against the snapshot: converged, then a file recorded with other content is drifted, then resolved', async (t) => {
  const { ctx, edit, snapshot } = rehearsal();
  const converged = readFileSync(snapshot, 'utf8');
  const first = await checkSiteDrift(ctx);
  t.deepEqual(first.outcome, { type: 'done' });
  t.like(first, { site: 'lab', baseline: 'current', drifted: [], unobserved: [] });

  edit((inventory) => void (inventory.nodes.n1!.resources['file:/etc/motd']!.sha256 = 'f'.repeat(64)));
  const second = await checkSiteDrift(ctx);
  t.deepEqual(second.outcome, { type: 'done' });
  t.deepEqual(second.drifted.map((r) => r.id), ['n1/file:/etc/motd'], 'the snapshot is read again on every check');
  t.deepEqual(second.toCorrect, [], 'plan-only: reported, never corrected');

  writeFileSync(snapshot, converged);
  const third = await checkSiteDrift(ctx);
  t.deepEqual(third.drifted, []);
  t.deepEqual(third.resolved.map((r) => r.id), ['n1/file:/etc/motd'], 'the ledger in the state database saw it drift and resolve');
});

test('a snapshot that is not an inventory stops the check with InventoryUnusable and says why', async (t) => {
  const { ctx, snapshot, stderr } = rehearsal();
  writeFileSync(snapshot, '{"kind": "Inventory"}');
  const report = await checkSiteDrift(ctx);
  t.like(report.outcome, { type: 'stall', code: 'InventoryUnusable', step: 'read-inventory' });
  t.regex(stderr.join(''), /inventory\.json/);
});
