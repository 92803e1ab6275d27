import test from 'ava';
import { loadSpec } from './load-spec.js';
import { revisionOf } from '../../test/support/site-files.js';

const NODE = `apiVersion: underlay.dev/v1alpha1
kind: Node
metadata:
  name: ns1
spec:
  address: 198.18.0.53
  ssh: {hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKVLcTFoBAD0LXG2XgvhRtGUvKjJxYZ1Bhner7UNB/04}
`;
const problems = (server: string) =>
  loadSpec(
    revisionOf({
      'nodes/ns1.yaml': NODE,
      'zone.yaml': `apiVersion: underlay.dev/v1alpha1\nkind: DNSZone\nmetadata:\n  name: z\nspec:\n  zone: site.example.net\n  tsigKeySecret: k\n  server:\n${server}`,
    }),
  ).diagnostics.map((d) => [d.code, d.field, d.message]);

test('a server at an address, or run by a node of the site as a service, is accepted', (t) => {
  t.deepEqual(problems('    address: 198.18.0.2\n'), []);
  t.deepEqual(problems('    node: ns1\n    service: named\n'), []);
});

test('both an address and a node, or neither, is a schema violation at the server', (t) => {
  t.like(problems('    address: 198.18.0.2\n    node: ns1\n    service: named\n')[0], ['SchemaViolation', 'spec.server']);
  t.like(problems('    port: 53\n')[0], ['SchemaViolation', 'spec.server']);
});

test('a node server names its service, and an existing node; a service without a node is refused', (t) => {
  t.deepEqual(problems('    node: ns1\n').map(([c, f]) => [c, f]), [['SchemaViolation', 'spec.server.node']]);
  t.deepEqual(problems('    node: ns9\n    service: named\n').map(([c, f]) => [c, f]), [['DanglingReference', 'spec.server.node']]);
  t.deepEqual(problems('    address: 198.18.0.2\n    service: named\n').map(([c, f]) => [c, f]), [['SchemaViolation', 'spec.server.service']]);
});
