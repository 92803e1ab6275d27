import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseInventory } from './parse-inventory.js';
import { inventorySnapshot, renderInventorySnapshot } from './snapshot.js';

const scenario = path.resolve(import.meta.dirname, '../../test/scenarios/22-secret-files/inventory.json');

function observed() {
  const { inventory } = parseInventory(readFileSync(scenario, 'utf8'), scenario);
  if (!inventory) throw new Error('the scenario inventory does not parse');
  const [name, node] = Object.entries(inventory.nodes)[0]!;
  // As if a probe had read a file's text beside its hash.
  node.resources['file:/etc/motd'] = { kind: 'file', path: '/etc/motd', exists: true, sha256: 'a'.repeat(64), size: 21, mode: '0644', owner: 'root', group: 'root', content: 'text of the node file\n' };
  return { inventory, name };
}

test('a snapshot carries a file\'s hash, not its text, and still reads as an inventory', (t) => {
  const { inventory, name } = observed();
  const text = renderInventorySnapshot(inventory);
  t.false(text.includes('text of the node file'));
  const back = parseInventory(text, 'snapshot.json').inventory;
  t.deepEqual(back?.nodes[name]?.resources['file:/etc/motd'], { kind: 'file', path: '/etc/motd', exists: true, sha256: 'a'.repeat(64), size: 21, mode: '0644', owner: 'root', group: 'root' });
});

test('a secret file keeps its verdict (what planning needs) and the snapshot is otherwise the inventory', (t) => {
  const { inventory } = observed();
  const snapshot = inventorySnapshot(inventory);
  const verdicts = (inv: typeof inventory) => Object.values(inv.nodes).flatMap((n) => Object.values(n.resources).filter((r) => r.kind === 'secretFile').map((r) => r.content));
  t.true(verdicts(snapshot).length > 0);
  t.deepEqual(verdicts(snapshot), verdicts(inventory));
  t.deepEqual({ ...snapshot, nodes: {} }, { ...inventory, nodes: {} });
});

test('asked for contents, the snapshot keeps them', (t) => {
  const { inventory } = observed();
  t.true(renderInventorySnapshot(inventory, { withContents: true }).includes('text of the node file'));
});
