/**
 * The replayed case's site and its recorded inventory: plan-scale's synthetic site (bench/plan-scale: four
 * modules, ~20 resources a node, cluster linking) with a Site document, committed to a real Git repository,
 * and the snapshot of those nodes converged at it (every resource as planned, managed records included), in
 * the format `underlay inventory` writes. Planning the site against the snapshot gives no change: the check
 * below says so before the benchmark relies on it.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderInventorySnapshot } from '../../controller/inventory/snapshot.js';
import { loadSpec } from '../../controller/load/load-spec.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import type { Revision } from '../../controller/source/revision.js';
import { registry } from '../../reconcilers/registry.js';
import { renderServiceDefinition } from '../../reconcilers/service/definition.js';
import { appliedNode, inventory } from '../../test/support/build-desired.js';
import { syntheticSite } from '../plan-scale/synthetic-site.js';

const execFileAsync = promisify(execFile);

const SITE_DOC = 'apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata:\n  name: bench\nspec:\n  serviceManager: runit\n';

async function git(repoDir: string, ...args: string[]): Promise<void> {
  await execFileAsync('git', ['-C', repoDir, '-c', 'user.name=underlay bench', '-c', 'user.email=bench@underlay.invalid', ...args]);
}

export async function writeReplayedSite(opts: { repoDir: string; snapshotFile: string; nodes: number }): Promise<void> {
  const synthetic = syntheticSite(opts.nodes);
  const site: Revision = { ...synthetic, files: [...synthetic.files, { path: 'site.yaml', type: 'file', content: new TextEncoder().encode(SITE_DOC) }] };
  for (const file of site.files) {
    if (file.type !== 'file') continue;
    await mkdir(path.join(opts.repoDir, path.dirname(file.path)), { recursive: true });
    await writeFile(path.join(opts.repoDir, file.path), file.content);
  }
  await git(opts.repoDir, 'init', '-q', '-b', 'main');
  await git(opts.repoDir, 'add', '-A');
  await git(opts.repoDir, 'commit', '-q', '-m', `replayed bench site: ${opts.nodes} nodes`);

  const loaded = loadSpec(site);
  if (!loaded.spec) throw new Error(loaded.diagnostics.slice(0, 5).map((d) => d.message).join('\n'));
  const resolved = resolveSite(loaded.spec, {}, {});
  if (!resolved.desired) throw new Error(resolved.diagnostics.slice(0, 5).map((d) => d.message).join('\n'));
  const desired = resolved.desired;
  const recorded = inventory(
    Object.fromEntries(desired.nodes.map((n) => [n.name, appliedNode(n.resources, (s) => renderServiceDefinition(s, n.serviceManager).hash)])),
    new Date().toISOString(),
  );
  const changes = makePlan(desired, recorded, { registry }).changes.length;
  if (changes !== 0) throw new Error(`the recorded inventory is not converged: ${changes} changes planned against it`);
  await writeFile(opts.snapshotFile, renderInventorySnapshot(recorded));
}
