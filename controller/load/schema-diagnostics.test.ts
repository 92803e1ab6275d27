import test from 'ava';
import { loadSpec } from './load-spec.js';
import { HOST_KEY, revisionOf } from './revision-fixture.js';

const errorsOf = (text: string) =>
  loadSpec(revisionOf({ 'site.yaml': text })).diagnostics.map((d) => ({ code: d.code, line: d.location?.line, field: d.field }));

const nodeDoc = (spec: string) => `apiVersion: underlay.dev/v1alpha1\nkind: Node\nmetadata:\n  name: n1\nspec:\n${spec}`;

test('wrong type points at the value', (t) => {
  t.deepEqual(errorsOf(nodeDoc(`  address: 10.0.0.1\n  ssh:\n    hostKey: ${HOST_KEY}\n    port: "22"\n`)), [{ code: 'SchemaViolation', line: 9, field: 'spec.ssh.port' }]);
});

test('a missing required field points at its parent key', (t) => {
  t.deepEqual(errorsOf(nodeDoc('  address: 10.0.0.1\n  ssh:\n    user: root\n')), [{ code: 'SchemaViolation', line: 7, field: 'spec.ssh.hostKey' }]);
});

test('an unknown field points at that key', (t) => {
  t.deepEqual(errorsOf(nodeDoc(`  address: 10.0.0.1\n  adress: 10.0.0.2\n  ssh:\n    hostKey: ${HOST_KEY}\n`)), [{ code: 'SchemaViolation', line: 7, field: 'spec.adress' }]);
});

test('invalid address, bad host key and bad enum are each reported', (t) => {
  const ds = errorsOf(nodeDoc('  address: "10.0.0.300 x"\n  serviceManager: upstart\n  ssh:\n    hostKey: ssh-dss AAAA\n'));
  t.deepEqual(ds, [
    { code: 'SchemaViolation', line: 6, field: 'spec.address' },
    { code: 'SchemaViolation', line: 7, field: 'spec.serviceManager' },
    { code: 'SchemaViolation', line: 9, field: 'spec.ssh.hostKey' },
  ]);
});

test('a module resource union reports the branch that was meant', (t) => {
  const text = 'apiVersion: underlay.dev/v1alpha1\nkind: Module\nmetadata:\n  name: m\nspec:\n  resources:\n    - file:\n        path: /etc/x\n        content: x\n        mode: 644\n';
  const [d] = loadSpec(revisionOf({ 'm.yaml': text })).diagnostics;
  t.deepEqual([d!.code, d!.field, d!.location?.line], ['SchemaViolation', 'spec.resources[0].file.mode', 10]);
});

test('unknown apiVersion and kind have their own codes', (t) => {
  t.deepEqual(errorsOf('apiVersion: underlay.dev/v2\nkind: Node\n'), [{ code: 'UnknownApiVersion', line: 1, field: 'apiVersion' }]);
  t.deepEqual(errorsOf('apiVersion: underlay.dev/v1alpha1\nkind: Machine\n'), [{ code: 'UnknownKind', line: 2, field: 'kind' }]);
});

test('a dotted-number address that is not plain decimal IPv4 is refused, not taken as a host name', (t) => {
  // 10.0.0.300 overflows; 010.0.0.1 has a leading zero, which resolvers read as octal (8.0.0.1) and people as 10.
  for (const address of ['10.0.0.300', '010.0.0.1', '10.0.0.01']) {
    t.deepEqual(errorsOf(nodeDoc(`  address: "${address}"\n  ssh:\n    hostKey: ${HOST_KEY}\n`)), [{ code: 'SchemaViolation', line: 6, field: 'spec.address' }], address);
  }
  t.deepEqual(errorsOf(nodeDoc(`  address: "10.0.0.1"\n  ssh:\n    hostKey: ${HOST_KEY}\n`)), []);
});
