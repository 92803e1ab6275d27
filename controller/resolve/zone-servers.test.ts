import test from 'ava';
import { emptyInventory } from '../model/observed.js';
import { planRevision } from '../pipeline/plan-revision.js';
import { registry } from '../../reconcilers/registry.js';
import { revisionOf } from '../../test/support/site-files.js';

const site = (service: string) =>
  revisionOf({
    'nodes/ns1.yaml': `apiVersion: underlay.dev/v1alpha1
kind: Node
metadata: {name: ns1}
spec:
  address: 198.18.0.53
  ssh: {hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKVLcTFoBAD0LXG2XgvhRtGUvKjJxYZ1Bhner7UNB/04}
`,
    'zone.yaml': `apiVersion: underlay.dev/v1alpha1
kind: DNSZone
metadata: {name: z}
spec: {zone: site.example.net, tsigKeySecret: k, server: {node: ns1, service: ${service}}}
`,
    'modules/ns.yaml': `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata: {name: ns}
spec:
  resources:
    - service: {name: named, command: /usr/sbin/named, args: ["-g"]}
`,
    'cluster.yaml': `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata: {name: c}
spec:
  nodes: {names: [ns1]}
  steps: [{name: dns, module: ns}]
  dns: {zone: z}
`,
  });

test('the records of a zone served by a node wait for its service there, at its address', (t) => {
  const { plan } = planRevision(site('named'), emptyInventory(), { registry });
  const record = plan?.changes.find((c) => c.kind === 'dns');
  t.deepEqual(record?.dependsOn, ['ns1/service:named']);
  t.like(record?.after, { server: { address: '198.18.0.53', port: 53 } });
});

test('a service no step renders on the node is a dangling reference at the server field', (t) => {
  const { plan, diagnostics } = planRevision(site('bind9'), emptyInventory(), { registry });
  t.is(plan, null);
  t.deepEqual(
    diagnostics.map((d) => [d.code, d.location?.file, d.message]),
    [['DanglingReference', 'zone.yaml', 'DNSZone "z": no step renders service "bind9" on node ns1, so nothing serves the zone there']],
  );
});
