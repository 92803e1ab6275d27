import test from 'ava';
import type { DesiredZone } from '../model/desired.js';
import type { InventoryNode } from '../model/observed.js';
import { zoneNotServed } from './zone-findings.js';

const zone = (servedBy?: DesiredZone['servedBy']): DesiredZone => ({
  apex: 'site.example.net.',
  server: { address: '198.18.0.12', port: 53 },
  ...(servedBy ? { servedBy } : {}),
  tsigKeySecret: 'k',
  policy: 'sync',
});
const node = (resources: InventoryNode['resources'], reachable = true): InventoryNode => ({ reachable, facts: {}, managed: {}, resources });
const BY_N2 = { node: 'n2', resource: 'service:named' };
const named = (exists: boolean) => ({ 'service:named': { kind: 'service', name: 'named', exists, running: exists, enabled: exists } });

test('a zone whose server node was observed without its service is not served yet, and says why', (t) => {
  t.is(zoneNotServed(zone(BY_N2), { n2: node({}) }), 'its server n2 does not run service:named yet');
  t.is(zoneNotServed(zone(BY_N2), { n2: node(named(false)) }), 'its server n2 does not run service:named yet');
});

test('otherwise an unread zone stays unread: the service is there, the node was not seen, or no node serves it', (t) => {
  t.is(zoneNotServed(zone(BY_N2), { n2: node(named(true)) }), undefined, 'named is installed: its zone failing to answer is an error');
  t.is(zoneNotServed(zone(BY_N2), { n2: node({}, false) }), undefined, 'an unreachable node tells nothing');
  t.is(zoneNotServed(zone(BY_N2), {}), undefined, 'a node not observed tells nothing');
  t.is(zoneNotServed(zone(), { n2: node({}) }), undefined, 'a server elsewhere');
});
