import test from 'ava';
import { comparableAddress } from './duplicate-addresses.js';
import { loadSpec } from './load-spec.js';
import { fixtureAddress, node, revisionOf, validSite } from './revision-fixture.js';

/** Nodes n2, n3 (and more) with these `spec` lines replacing their address line. */
const problems = (nodes: Record<string, { address: string; ssh?: string }>) => {
  const files = { ...validSite() };
  for (const [name, { address, ssh = '' }] of Object.entries(nodes)) {
    files[`nodes/${name}.yaml`] = node(name, ssh).replace(`address: ${fixtureAddress(name)}`, `address: "${address}"`);
  }
  return loadSpec(revisionOf(files)).diagnostics.filter((d) => d.code === 'DuplicateNodeAddress');
};

test('two nodes with one address: both are told, each naming the other, at their address', (t) => {
  const ds = problems({ n2: { address: '198.18.0.11' }, n3: { address: '198.18.0.11' } });
  t.deepEqual(ds.map((d) => [d.location?.file, d.location?.line, d.field]), [
    ['nodes/n2.yaml', 8, 'spec.address'],
    ['nodes/n3.yaml', 8, 'spec.address'],
  ]);
  t.regex(ds[0]!.message, /node "n3" \(nodes\/n3\.yaml\) has the same address, SSH port and bastion \(198\.18\.0\.11 port 22\)/);
  t.regex(ds[1]!.message, /node "n2" \(nodes\/n2\.yaml\)/);
});

test('spellings of one address are one address: IPv6 forms, IPv4-mapped IPv6, host name case and final dot', (t) => {
  t.is(problems({ n2: { address: '2001:DB8:0::1' }, n3: { address: '2001:db8::0:1' } }).length, 2);
  t.is(problems({ n2: { address: '::ffff:198.18.0.11' }, n3: { address: '198.18.0.11' } }).length, 2);
  t.is(problems({ n2: { address: 'Node1.Lab.Example.net.' }, n3: { address: 'node1.lab.example.net' } }).length, 2);
  t.deepEqual(['::ffff:c612:b', '2001:0db8::0001', 'A.B.'].map(comparableAddress), ['198.18.0.11', '2001:db8::1', 'a.b']);
});

test('the same address on another SSH port or through another bastion can be another machine', (t) => {
  t.deepEqual(problems({ n2: { address: '198.18.0.11' }, n3: { address: '198.18.0.11', ssh: '\n    port: 2222' } }), []);
  t.deepEqual(problems({ b1: { address: '198.18.0.1' }, b2: { address: '198.18.0.2' }, n2: { address: '10.1.0.5', ssh: '\n    via: b1' }, n3: { address: '10.1.0.5', ssh: '\n    via: b2' } }), []);
  // The site's port is every node's unless it says otherwise: 22 given explicitly is the same port.
  t.is(problems({ n2: { address: '198.18.0.11', ssh: '\n    port: 22' }, n3: { address: '198.18.0.11' } }).length, 2);
});

test('nodes with their own addresses are fine', (t) => {
  t.deepEqual(problems({ n2: { address: '198.18.0.12' }, n3: { address: '198.18.0.13' } }), []);
});
