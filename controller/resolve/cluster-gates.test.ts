/**
 * Health gates and drain steps through the real schemas and resolve: rendered per member with the module's
 * inputs, the Site's and Cluster's gates after the module's, shell-safety as for commands, `from`/`on`
 * naming a node of the site, and one gate per name on a node.
 */
import test from 'ava';
import { clusterDoc, doc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';
import { HealthGate } from '../spec/health-gate.js';
import { resolveSite } from './resolve-site.js';

type Docs = Parameters<typeof testSpec>[0];

const members = [node('n1', '198.18.0.11'), node('n2', '198.18.0.12'), node('lb1', '198.18.0.20', { roles: ['lb'] })];

const etcd = (spec: Record<string, unknown>) =>
  moduleDoc('etcd', { inputs: { port: { type: 'integer', default: 2379 }, flag: { type: 'string', default: 'x' } }, resources: [{ file: { path: '/etc/etcd.conf', content: 'x' } }], ...spec });

const lab = (rollout: Record<string, unknown> = {}) => clusterDoc('lab', { nodes: { names: ['n1', 'n2'] }, rollout, steps: [{ name: 'etcd', module: 'etcd', with: { flag: { fact: 'name' } } }] });

function resolve(docs: Docs) {
  return resolveSite(testSpec([...members, ...docs]), {}, {});
}

test('a module\'s gates and drain steps are rendered for each member with its inputs and the node', (t) => {
  const r = resolve([
    etcd({
      health: [
        { name: 'client', tcp: { port: '{{ inputs.port }}' } },
        { name: 'health', http: { url: 'http://{{ node.address }}:{{ inputs.port }}/health', body: '"health":"true"' }, timeout: '3s' },
        { name: 'quorum', cluster: { argv: ['etcdctl', '--endpoints', 'http://{{ node.address }}:2379', 'endpoint', 'health', '--cluster'] } },
      ],
      drain: [{ on: 'lb1', argv: ['sh', '-c', 'echo "disable server etcd/$1" | socat stdio /run/haproxy.sock', '_', '{{ node.name }}'] }],
      undrain: [{ argv: ['etcdctl', 'member', 'list'] }],
    }),
    lab(),
  ]);
  const gates = r.desired?.clusters[0]?.gates;
  t.truthy(gates, JSON.stringify(r.diagnostics));
  t.deepEqual(Object.keys(gates!), ['n1', 'n2']);
  const origin = 'module etcd (step etcd)';
  t.deepEqual(gates!['n2'], {
    gates: [
      { type: 'tcp', host: '198.18.0.12', port: 2379, name: 'client', timeoutSeconds: 10, origin },
      { type: 'http', url: 'http://198.18.0.12:2379/health', status: 200, body: '"health":"true"', name: 'health', timeoutSeconds: 3, origin },
      { type: 'cluster', argv: ['etcdctl', '--endpoints', 'http://198.18.0.12:2379', 'endpoint', 'health', '--cluster'], exitCode: 0, name: 'quorum', timeoutSeconds: 10, origin },
    ],
    drain: [{ argv: ['sh', '-c', 'echo "disable server etcd/$1" | socat stdio /run/haproxy.sock', '_', 'n2'], on: 'lb1', origin }],
    undrain: [{ argv: ['etcdctl', 'member', 'list'], on: 'n2', origin }],
  });
});

test('the Site\'s and the Cluster\'s rollout gates come after the modules\' own, for every member', (t) => {
  const site = doc('Site', 'site', { rollout: { gates: [{ name: 'site-check', command: { argv: ['true'] } }] } });
  const r = resolve([site, etcd({ health: [{ name: 'own', command: { argv: ['test', '-e', '/etc/etcd.conf'], exitCode: 0 } }] }), lab({ gates: [{ name: 'via-lb', tcp: { host: '{{ node.address }}', port: 2379, from: 'lb1' } }] })]);
  const gates = r.desired!.clusters[0]!.gates!;
  t.deepEqual(gates['n1']!.gates.map((g) => [g.name, g.origin]), [['own', 'module etcd (step etcd)'], ['site-check', 'site'], ['via-lb', 'cluster lab']]);
  t.like(gates['n1']!.gates[2], { type: 'tcp', host: '198.18.0.11', port: 2379, from: 'lb1' });
});

test('a cluster without gates has none in Desired, so its plan is what it was', (t) => {
  const r = resolve([etcd({}), lab()]);
  t.false('gates' in r.desired!.clusters[0]!);
});

test('a value never becomes code in a gate or drain argv: the same shell-safety rule as commands', (t) => {
  const r = resolve([etcd({ health: [{ name: 'bad', command: { argv: ['sh', '-c', 'check {{ inputs.flag }}'] } }], drain: [{ argv: ['sh', '-c', 'drain {{ node.name }}'] }] }), lab()]);
  t.is(r.desired, null);
  const unsafe = r.diagnostics.filter((d) => d.code === 'UnsafeShellValue').map((d) => d.field);
  t.true(unsafe.includes('spec.health[0].command.argv[2]'), JSON.stringify(unsafe));
  t.true(unsafe.includes('spec.drain[0].argv[2]'), JSON.stringify(unsafe));
});

test('from and on must name a node of the site; a port must render to a port', (t) => {
  const r = resolve([etcd({ health: [{ name: 'p', tcp: { port: '{{ inputs.flag }}' } }, { name: 'f', tcp: { port: 1, from: 'nope' } }], drain: [{ on: 'lb2', argv: ['true'] }] }), lab()]);
  t.is(r.desired, null);
  t.deepEqual(
    r.diagnostics.map((d) => [d.code, d.field]),
    [
      ['DanglingReference', 'spec.health[1].tcp.from'],
      ['DanglingReference', 'spec.drain[0].on'],
      ['SchemaViolation', 'spec.health[0].tcp.port'],
    ],
  );
});

test('two gates of one name on a node are refused, naming both origins', (t) => {
  const r = resolve([etcd({ health: [{ name: 'ready', command: { argv: ['true'] } }] }), lab({ gates: [{ name: 'ready', command: { argv: ['true'] } }] })]);
  t.is(r.desired, null);
  const duplicate = r.diagnostics.find((d) => d.code === 'DuplicateName');
  t.regex(duplicate?.message ?? '', /^gate "ready" is declared for this node's batch already, by module etcd \(step etcd\): name them apart/);
  t.is(duplicate?.field, 'spec.rollout.gates[0].name');
  t.is(duplicate?.location?.file, 'cluster/lab.yaml');
});

test('a gate has exactly one check, and service-up is the built-in one', (t) => {
  t.false(HealthGate.safeParse({ name: 'x' }).success);
  t.false(HealthGate.safeParse({ name: 'x', tcp: { port: 1 }, command: { argv: ['true'] } }).success);
  t.false(HealthGate.safeParse({ name: 'service-up', command: { argv: ['true'] } }).success);
  t.false(HealthGate.safeParse({ name: 'x', http: { url: 'http://x', status: 99 } }).success);
  t.true(HealthGate.safeParse({ name: 'x', cluster: { argv: ['etcdctl', 'endpoint', 'health', '--cluster'] } }).success);
});

test('a pinned CA needs an https URL', (t) => {
  const r = resolve([etcd({ health: [{ name: 'h', http: { url: 'http://{{ node.address }}/', caCertificate: '-----BEGIN CERTIFICATE-----' } }] }), lab()]);
  t.deepEqual(r.diagnostics.map((d) => [d.code, d.field]), [['SchemaViolation', 'spec.health[0].http.caCertificate']]);
});

test('a drain step `on` a selector runs on every matching node of the site, by name; one that selects none is refused', (t) => {
  const lbs = [node('lb2', '198.18.0.21', { roles: ['lb'] })];
  const maint = ['sh', '-c', 'echo "set server etcd/$1 state maint" | socat stdio /var/lib/haproxy/admin.sock', '_', '{{ node.name }}'];
  const r = resolveSite(testSpec([...members, ...lbs, etcd({ drain: [{ on: { roles: ['lb'] }, argv: maint }] }), lab()]), {}, {});
  const drain = r.desired?.clusters[0]?.gates?.['n1']?.drain;
  t.deepEqual(drain?.map((s) => [s.on, s.argv[4]]), [['lb1', 'n1'], ['lb2', 'n1']], JSON.stringify(r.diagnostics));
  const none = resolve([etcd({ undrain: [{ on: { roles: ['proxy'] }, argv: ['true'] }] }), lab()]);
  t.is(none.desired, null);
  t.deepEqual(none.diagnostics.map((d) => [d.code, d.field]), [['DanglingReference', 'spec.undrain[0].on']]);
});
