import test from 'ava';
import { loadSpec } from './load-spec.js';
import { cluster, module, node, revisionOf, validSite } from './revision-fixture.js';
import type { FixtureFiles } from './revision-fixture.js';

const problems = (files: FixtureFiles) =>
  loadSpec(revisionOf(files)).diagnostics.map((d) => [d.code, d.location?.file, d.location?.line, d.field]);

const labCluster = (steps: string, extra = '') => cluster('lab', `${extra}  steps:\n${steps}`);

test('a step naming a missing module', (t) => {
  const files = { ...validSite(), 'clusters/lab.yaml': labCluster('    - name: x\n      module: motdd\n') };
  t.deepEqual(problems(files), [['DanglingReference', 'clusters/lab.yaml', 11, 'spec.steps[0].module']]);
});

test('unknown and missing step inputs', (t) => {
  const files = { ...validSite(), 'clusters/lab.yaml': labCluster('    - name: motd\n      module: motd\n      with:\n        greting: hi\n') };
  t.deepEqual(problems(files), [
    ['MissingInput', 'clusters/lab.yaml', 12, 'spec.steps[0].with.greeting'],
    ['UnknownInput', 'clusters/lab.yaml', 13, 'spec.steps[0].with.greting'],
  ]);
});

test('output references need the step and the output its module declares', (t) => {
  const steps = `    - name: motd
      module: motd
      nodes: {names: [n1]}
      with: {greeting: hi}
    - name: again
      module: motd
      nodes: {names: [n2]}
      with:
        greeting: {output: motd.banner}
        width: {output: motd.nope}
    - name: third
      module: motd
      nodes: {names: [n3]}
      with:
        greeting: {output: ghost.banner}
`;
  const files = { ...validSite(), 'nodes/n2.yaml': node('n2'), 'nodes/n3.yaml': node('n3'), 'clusters/lab.yaml': labCluster(steps) };
  t.deepEqual(problems(files), [
    ['DanglingReference', 'clusters/lab.yaml', 19, 'spec.steps[1].with.width.output'],
    ['DanglingReference', 'clusters/lab.yaml', 24, 'spec.steps[2].with.greeting.output'],
  ]);
});

test('dns zone, address pool and params must exist', (t) => {
  const extra = '  dns: {zone: lab-zone}\n  addresses:\n    - {name: vip, pool: vips}\n';
  const files = { ...validSite(), 'clusters/lab.yaml': labCluster('    - name: motd\n      module: motd\n      with: {greeting: {param: hello}}\n', extra) };
  t.deepEqual(problems(files), [
    ['DanglingReference', 'clusters/lab.yaml', 9, 'spec.dns.zone'],
    ['DanglingReference', 'clusters/lab.yaml', 11, 'spec.addresses[0].pool'],
    ['DanglingReference', 'clusters/lab.yaml', 15, 'spec.steps[0].with.greeting.param'],
  ]);
});

test('a malformed reference object is a schema violation', (t) => {
  const files = { ...validSite(), 'clusters/lab.yaml': labCluster('    - name: motd\n      module: motd\n      with: {greeting: {output: "no-dot"}}\n') };
  t.deepEqual(problems(files), [['SchemaViolation', 'clusters/lab.yaml', 12, 'spec.steps[0].with.greeting.output']]);
});

test('bastion, certificate CA, CA pools and restart references', (t) => {
  const files = {
    ...validSite(),
    'nodes/n1.yaml': node('n1', '\n    via: jump'),
    'ca.yaml': 'apiVersion: underlay.dev/v1alpha1\nkind: CertificateAuthority\nmetadata:\n  name: ca\nspec:\n  certificate: x\n  keySecret: ca-key\n  policy:\n    allowedPools: [vips]\n',
    'modules/tls.yaml': module(
      'tls',
      '  resources:\n    - certificate: {name: web, ca: other-ca, commonName: x, keyPath: /etc/k, certPath: /etc/c}\n    - command: {name: reload, argv: [/usr/bin/true], onChangeOf: ["certificate:web", "file:/etc/nope"]}\n',
    ),
  };
  t.deepEqual(problems(files), [
    ['DanglingReference', 'ca.yaml', 9, 'spec.policy.allowedPools[0]'],
    ['DanglingReference', 'modules/tls.yaml', 7, 'spec.resources[0].certificate.ca'],
    ['DanglingReference', 'modules/tls.yaml', 8, 'spec.resources[1].command.onChangeOf[1]'],
    ['DanglingReference', 'nodes/n1.yaml', 12, 'spec.ssh.via'],
  ]);
});

const site = (spec: string) => `apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata:\n  name: lab\nspec:\n${spec}`;
const paramSteps = '    - name: motd\n      module: motd\n      with: {greeting: {param: hello}}\n';

test('a Site that does not parse or validate leaves its params unknown: only the Site itself is reported', (t) => {
  const withParam = { ...validSite(), 'clusters/lab.yaml': labCluster(paramSteps) };
  t.deepEqual(problems({ ...withParam, 'site.yaml': site('  params:\n    hello: "hi\n') }), [['YamlSyntax', 'site.yaml', 7, undefined]]);
  t.deepEqual(problems({ ...withParam, 'site.yaml': site('  params: {hello: hi}\n  ssh: {port: many}\n') }), [['SchemaViolation', 'site.yaml', 7, 'spec.ssh.port']]);
  // The same Site, readable, and a param it does not declare: that is dangling.
  t.deepEqual(problems({ ...withParam, 'site.yaml': site('  params: {other: hi}\n') }), [['DanglingReference', 'clusters/lab.yaml', 12, 'spec.steps[0].with.greeting.param']]);
});

test('allowed paths of an unreadable Site are unknown too, so paths are not judged by the defaults', (t) => {
  const files = { ...validSite(), 'modules/app.yaml': module('app', '  resources:\n    - directory: {path: /home/app}\n') };
  t.deepEqual(problems({ ...files, 'site.yaml': site('  allowedPaths: [/etc, /home]\n  params: [\n') }).map((p) => p[0]), ['YamlSyntax']);
  t.deepEqual(problems({ ...files, 'site.yaml': site('  allowedPaths: [/etc]\n') }).map((p) => p[0]), ['PathOutsideAllowedRoots']);
});

test('a document that does not parse may be whatever it names; one whose name is unreadable may be anything of its kind', (t) => {
  const steps = '    - name: motd\n      module: motd\n      with: {greeting: hi}\n    - name: web\n      module: web\n';
  const files = { ...validSite(), 'clusters/lab.yaml': labCluster(steps) };
  const broken = (text: string) => problems({ ...files, 'modules/web.yaml': text }).map((p) => p[0]);
  t.deepEqual(broken(module('web', '  resources: [\n')), ['YamlSyntax']);
  t.deepEqual(broken('apiVersion: underlay.dev/v1alpha1\nkind: Module\nmetadata: {name: [\n'), ['YamlSyntax', 'YamlSyntax']);
  t.deepEqual(broken(`kind: Module\nmetadata:\n  name: web\nspec:\n  deep:\n    ${'- '.repeat(100)}x\n`), ['YamlTooDeep']);
  t.deepEqual(broken(module('web', '  resources: &r [*r]\n')), ['YamlRecursiveAlias']);
  t.deepEqual(broken(module('web', '  resources: 7\n')), ['SchemaViolation']);
  t.deepEqual(broken(module('web', '  resources: []\n').replace('kind: Module', 'kind: Modul')), ['UnknownKind']);
  // A broken document that names something else leaves this reference dangling.
  t.deepEqual(broken(module('other', '  resources: [\n')), ['DanglingReference', 'YamlSyntax']);
  t.deepEqual(broken(node('web').replace('roles: [worker]', 'roles: [worker')), ['DanglingReference', 'YamlSyntax']);
});

test('names of inputs, params and outputs are looked up as names, never on the object prototype', (t) => {
  // Load is the only validator: resolve no longer checks these again, so "constructor" must not pass as declared.
  const steps = `    - name: motd
      module: motd
      nodes: {names: [n1]}
      with:
        greeting: {param: constructor}
        toString: hi
    - name: again
      module: motd
      nodes: {names: [n2]}
      with:
        greeting: {output: motd.constructor}
`;
  const files = { ...validSite(), 'nodes/n2.yaml': node('n2'), 'clusters/lab.yaml': labCluster(steps) };
  t.deepEqual(problems(files), [
    ['DanglingReference', 'clusters/lab.yaml', 14, 'spec.steps[0].with.greeting.param'],
    ['UnknownInput', 'clusters/lab.yaml', 15, 'spec.steps[0].with.toString'],
    ['DanglingReference', 'clusters/lab.yaml', 20, 'spec.steps[1].with.greeting.output'],
  ]);
  const needsConstructor = module('motd', '  inputs:\n    constructor: {type: string}\n  resources: []\n');
  t.deepEqual(problems({ ...validSite(), 'modules/motd.yaml': needsConstructor, 'clusters/lab.yaml': labCluster('    - name: motd\n      module: motd\n') }).map(([code, , , field]) => [code, field]), [
    ['MissingInput', 'spec.steps[0].with.constructor'],
  ]);
});

test('a step naming the module "constructor", which no document declares, is a dangling reference, not a crash', (t) => {
  const files = { ...validSite(), 'clusters/lab.yaml': labCluster('    - name: x\n      module: constructor\n') };
  t.deepEqual(problems(files), [['DanglingReference', 'clusters/lab.yaml', 11, 'spec.steps[0].module']]);
});
