/**
 * Rehearsal (docs/controller.md): a site whose configuration says `observe: {snapshot: FILE}` is planned and
 * checked for drift against that recorded inventory instead of its nodes. The snapshot stands in for the one
 * observe step of a reconcile or a drift check; everything else (fetch, load, resolve, plan, assess, the
 * store, status) runs as for live nodes, so what is measured or reviewed is the controller's own work. The file
 * is read again on every run, as a live site is observed again: replacing it replays another observation.
 * The configuration allows it only under plan-only, so no step that could change a node is ever reached.
 */
import { readInventoryFile } from '../cli/commands/plan.js';
import type { CliIO } from '../cli/io.js';
import type { DriftStep } from '../drift/drift-deps.js';
import type { RuntimeStep } from '../runtime/runtime-deps.js';
import { readInventory } from '../runtime/steps/read-inventory.js';
import type { SiteConfig } from './controller-config.js';

/** The site's steps with its observation read from its snapshot, or as they are for a site that observes its nodes. */
export function withSiteObservation(site: SiteConfig, steps: RuntimeStep[], io: CliIO): RuntimeStep[];
export function withSiteObservation(site: SiteConfig, steps: DriftStep[], io: CliIO): DriftStep[];
export function withSiteObservation(site: SiteConfig, steps: DriftStep[], io: CliIO): DriftStep[] {
  const snapshot = site.observe?.snapshot;
  if (snapshot === undefined) return steps;
  const replay = readInventory(() => readInventoryFile(snapshot, io));
  return steps.map((step) => (step.name === 'observe' ? replay : step));
}
