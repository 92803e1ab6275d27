import test from 'ava';
import { readFileSync } from 'node:fs';
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

test('a v1alpha1 snapshot (service state under `services`) is read as v1alpha2: allocations under their pools, records under their zones', (t) => {
  const file = new URL('../../test/support/inventory-v1alpha1.json', import.meta.url);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { apiVersion: string; nodes: Record<string, unknown> };
  t.is(raw.apiVersion, 'underlay.dev/v1alpha1');
  const { inventory, diagnostics } = parseInventory(JSON.stringify(raw), 'old.json');
  t.deepEqual(diagnostics, []);
  t.is(inventory?.apiVersion, 'underlay.dev/v1alpha2');
  t.false('services' in (inventory ?? {}));
  t.deepEqual(inventory?.pools, { 'lb-vips': { allocations: { 'lab.vip': '198.18.10.11' } } });
  t.deepEqual(inventory?.zones, {
    'site-zone': { records: { 'n1.site.example.net./A': '198.18.0.11', 'n2.site.example.net./A': '198.18.0.12', 'n3.site.example.net./A': '198.18.0.13' } },
  });
  t.deepEqual(Object.keys(inventory?.nodes ?? {}), Object.keys(raw.nodes));
  // What it converts to is a snapshot of the current format, read back unchanged.
  t.deepEqual(parseInventory(JSON.stringify(inventory), 'new.json').inventory, inventory);
});

test('a v1alpha2 snapshot with service state in the old place is refused, naming the field', (t) => {
  const { inventory, diagnostics } = parseInventory(JSON.stringify({ apiVersion: 'underlay.dev/v1alpha2', kind: 'Inventory', nodes: {}, services: { allocations: {} } }), 'mixed.json');
  t.is(inventory, null);
  t.true(diagnostics.some((d) => d.code === 'InventorySchema' && d.message.includes('services')));
});
