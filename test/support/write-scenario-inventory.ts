/**
 * Writes a golden scenario's inventory.json: the site of another repository directory (the commit before the
 * scenario's), converged, then adjusted by `edit` to what the probe would see on top (a node observed empty,
 * a guard's exit code). Run by hand when a scenario's "before" changes:
 *
 *   npx tsx test/support/write-scenario-inventory.ts BEFORE_REPO_DIR OUT.json [EMPTY_NODE...]
 *
 * EMPTY_NODE: a node observed reachable with nothing on it yet (a machine about to join).
 */
import { writeFileSync } from 'node:fs';
import { emptyInventory } from '../../controller/model/observed.js';
import { validateRevision } from '../../controller/pipeline/plan-revision.js';
import { convergedInventory } from './converged-inventory.js';
import { revisionFromDir } from './revision-from-dir.js';

const [beforeDir, out, ...emptyNodes] = process.argv.slice(2);
if (!beforeDir || !out) {
  process.stderr.write('usage: write-scenario-inventory.ts BEFORE_REPO_DIR OUT.json [EMPTY_NODE...]\n');
  process.exit(1);
}
const result = validateRevision(revisionFromDir(beforeDir), emptyInventory());
if (!result.desired) throw new Error(JSON.stringify(result.diagnostics, null, 2));
const inventory = convergedInventory(result.desired, '2025-01-01T00:00:00Z');
for (const name of emptyNodes) inventory.nodes[name] = { reachable: true, facts: {}, managed: {}, resources: {} };
writeFileSync(out, `${JSON.stringify(inventory, null, 2)}\n`);
