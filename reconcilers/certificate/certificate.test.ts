/**
 * The certificate kind through load and resolve: what the site gives each node (its name, address, zone
 * names, the cluster's member names, its cluster's VIPs), narrowed by the CA's policy, carried in the spec;
 * and what the resource asks beyond it, reported at its field before anything is planned.
 */
import test from 'ava';
import { loadSpec } from '../../controller/load/load-spec.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import { createCertificateAuthority } from '../../controller/pki/certificate-authority.js';
import { systemRandom } from '../../controller/pki/certificate-builder.js';
import { steppingClock } from '../../controller/clock.js';
import { cluster, fixtureAddress, module, node, revisionOf, validSite } from '../../test/support/site-files.js';
import type { InventoryNode } from '../../controller/model/observed.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { inventory } from '../../test/support/build-desired.js';
import { registry } from '../registry.js';
import { certificateKind } from './kind.js';
import type { DesiredCertificate } from './schema.js';

const CA = createCertificateAuthority({ commonName: 'lab CA', keyType: 'ecdsa-p256', validityDays: 365, clock: steppingClock(), random: systemRandom });
const indented = (text: string, by: string): string => text.trimEnd().split('\n').map((l) => by + l).join('\n');

function site(options: { certificate: string; policy?: string }) {
  return {
    ...validSite(),
    'nodes/n2.yaml': node('n2'),
    'ca/lab.yaml': `apiVersion: underlay.dev/v1alpha1
kind: CertificateAuthority
metadata:
  name: lab
spec:
  certificate: |
${indented(CA.certificatePem, '    ')}
  keySecret: lab-ca-key
  policy:
${options.policy ?? '    allowedDnsSuffixes: [lab.example.net]\n    allowedPools: [vips]'}
`,
    'zones/lab.yaml': `apiVersion: underlay.dev/v1alpha1
kind: DNSZone
metadata:
  name: lab
spec:
  zone: lab.example.net
  server: {address: 198.18.0.53}
  tsigKeySecret: lab-tsig
`,
    'pools/vips.yaml': `apiVersion: underlay.dev/v1alpha1
kind: IPPool
metadata:
  name: vips
spec:
  cidr: 198.18.1.0/24
`,
    'modules/tls.yaml': module('tls', `  resources:\n    - certificate:\n${indented(options.certificate, '        ')}\n`),
    'clusters/etcd.yaml': cluster(
      'etcd',
      `  dns: {zone: lab}
  addresses: [{name: vip, pool: vips}]
  certificates:
    memberNames: ["etcd.{{ zone }}"]
  steps:
    - name: tls
      module: tls
`,
    ),
  };
}

const CERTIFICATE = `name: peer
ca: lab
commonName: "{{ node.name }}"
dnsNames: ["{{ node.name }}.lab.example.net", etcd.lab.example.net]
ipAddresses: ["{{ node.address }}", 198.18.1.1]
usages: [peer]
keyPath: /etc/etcd/peer.key
certPath: /etc/etcd/peer.crt
caBundlePath: /etc/etcd/ca.crt`;

function resolved(files: ReturnType<typeof site>) {
  const loaded = loadSpec(revisionOf(files));
  if (!loaded.spec) throw new Error(loaded.diagnostics.map((d) => d.message).join('; '));
  return resolveSite(loaded.spec, {}, {});
}

test('resolve binds each certificate to what the site gives its node under the CA policy', (t) => {
  const result = resolved(site({ certificate: CERTIFICATE }));
  t.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
  const spec = result.desired!.nodes.find((n) => n.name === 'n1')!.resources.find((r) => r.key === 'certificate:peer')!.spec as DesiredCertificate;
  t.deepEqual(spec.issuance?.entitlement, { node: 'n1', dnsNames: ['etcd.lab.example.net', 'n1', 'n1.lab.example.net'], ipAddresses: [fixtureAddress('n1'), '198.18.1.1'].sort() });
  t.deepEqual(spec.issuance?.policy, { maxValidityDays: 90, keyTypes: ['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'], usages: ['server', 'client'] });
  t.is(spec.issuance?.authority.certificate, CA.certificatePem);
  t.deepEqual([spec.keyType, spec.validityDays, spec.rotationPolicy, spec.mode], ['ecdsa-p256', 30, 'Always', '0644']);
});

const problems = (files: ReturnType<typeof site>) => resolved(files).diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.field, d.location?.file, d.location?.line, d.message]);

test('a certificate asking for what the policy does not give its node is a plan-time diagnostic at the field', (t) => {
  const found = problems(site({ certificate: `${CERTIFICATE.replace('198.18.1.1]', `198.18.1.1, ${fixtureAddress('n2')}]`)}\nkeyType: rsa-2048\nvalidityDays: 100`, policy: '    allowedDnsSuffixes: [lab.example.net]\n    allowedPools: [vips]\n    keyTypes: [ecdsa-p256]' }));
  const n1 = found.filter((p) => String(p[4]).includes('n1'));
  t.deepEqual(
    n1.map((p) => [p[0], p[1], p[2], p[3]]),
    [
      ['CertificateNotAllowed', 'spec.resources[0].certificate.ipAddresses[2]', 'modules/tls.yaml', 12],
      ['CertificateNotAllowed', 'spec.resources[0].certificate.keyType', 'modules/tls.yaml', 17],
      ['CertificateNotAllowed', 'spec.resources[0].certificate.validityDays', 'modules/tls.yaml', 18],
    ],
  );
  t.regex(String(n1[0]![4]), new RegExp(`IP address ${fixtureAddress('n2').replaceAll('.', '\\.')} is not one of n1's addresses under CA lab`));
});

test('without the pool in allowedPools, or outside the suffixes, the VIP and the names are not the node\'s', (t) => {
  const found = problems(site({ certificate: CERTIFICATE, policy: '    allowedDnsSuffixes: [other.example.net]' })).filter((p) => String(p[4]).includes('n1'));
  t.deepEqual(found.map((p) => p[1]), [
    'spec.resources[0].certificate.dnsNames[0]',
    'spec.resources[0].certificate.dnsNames[1]',
    'spec.resources[0].certificate.ipAddresses[1]',
  ]);
});

test('a CA whose policy.nodes selects no node issues to none: the resource is refused at its ca', (t) => {
  const found = problems(site({ certificate: CERTIFICATE, policy: '    nodes: {roles: [nobody]}' }));
  t.deepEqual(found.map((p) => p[1]), ['spec.resources[0].certificate.ca', 'spec.resources[0].certificate.ca']);
  t.regex(String(found[0]![4]), /CertificateAuthority lab does not issue certificates to n1: its policy.nodes does not select it/);
});

test('a decommissioned node leaves its clusters: its certificate is planned as a delete, which revokes it', (t) => {
  const files = site({ certificate: CERTIFICATE.replace('198.18.1.1]', ']') });
  files['nodes/n2.yaml'] = files['nodes/n2.yaml'].replace('  roles: [worker]', '  roles: [worker]\n  decommission: true');
  const { desired } = resolved(files);
  t.deepEqual(desired!.nodes.find((n) => n.name === 'n2')?.resources, []);
  const applied: InventoryNode = { reachable: true, facts: {}, managed: { 'certificate:peer': { hash: 'h' } }, resources: { 'certificate:peer': { kind: 'certificate', name: 'peer', exists: true, serial: '4a01' } } };
  const plan = makePlan(desired!, inventory({ n1: { ...applied }, n2: applied }), { registry });
  const n2 = plan.changes.filter((c) => c.target.name === 'n2');
  t.deepEqual(n2.map((c) => [c.key, c.action]), [['certificate:peer', 'delete']]);
  t.deepEqual(certificateKind.details(n2[0]!).attributes, ['serial 4a01 revoked']);
});
