import test from 'ava';
import { parseInventory } from './parse-inventory.js';

test('a snapshot that is not JSON is InventorySyntax, one that is not an inventory InventorySchema, each naming the file', (t) => {
  const syntax = parseInventory('{"nodes": ', 'snapshot.json');
  t.is(syntax.inventory, null);
  t.deepEqual(syntax.diagnostics.map((d) => [d.code, d.location?.file]), [['InventorySyntax', 'snapshot.json']]);

  const schema = parseInventory(JSON.stringify({ apiVersion: 'underlay.dev/v1alpha1', kind: 'Inventory', observedAt: '2025-01-01T00:00:00Z', nodes: { n1: { reachable: 'yes' } } }), 'snapshot.json');
  t.is(schema.inventory, null);
  t.true(schema.diagnostics.length > 0);
  t.true(schema.diagnostics.every((d) => d.code === 'InventorySchema' && d.location?.file === 'snapshot.json'));
  t.true(schema.diagnostics.some((d) => d.field === 'nodes.n1.reachable'));
});
