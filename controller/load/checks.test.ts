import test from 'ava';
import { loadSpec } from './load-spec.js';
import { cluster, fixtureAddress, module, node, revisionOf, validSite } from '../../test/support/site-files.js';
import type { FixtureFiles } from '../../test/support/site-files.js';

const problems = (files: FixtureFiles) =>
  loadSpec(revisionOf(files)).diagnostics.map((d) => [d.code, d.location?.file, d.location?.line, d.field]);

const pool = (name: string, cidr: string) => `apiVersion: underlay.dev/v1alpha1\nkind: IPPool\nmetadata:\n  name: ${name}\nspec:\n  cidr: ${cidr}\n`;

test('overlapping pools: the later one is reported, either address family', (t) => {
  const files = {
    'pools.yaml': [pool('a', '10.0.0.0/16'), pool('b', '10.0.128.0/24'), pool('c', '10.1.0.0/16'), pool('d', 'fd00::/64'), pool('e', 'fd00::1:0/112')].join('---\n'),
  };
  t.deepEqual(problems(files), [
    ['OverlappingPools', 'pools.yaml', 13, 'spec.cidr'],
    ['OverlappingPools', 'pools.yaml', 34, 'spec.cidr'],
  ]);
});

test('paths outside the allowed roots; programs may live under /usr, /bin, /sbin, /opt', (t) => {
  const files = {
    ...validSite(),
    'modules/bad.yaml': module(
      'bad',
      `  resources:
    - file: {path: /root/.ssh/authorized_keys, content: x}
    - directory: {path: /var/lib/bad}
    - service: {name: bad, command: /tmp/run}
    - command: {name: go, argv: [/sbin/sysctl, -p], creates: /home/x}
    - file: {path: "/{{ inputs.dir }}/x", content: x}
    - file: {path: "/etc/{{ inputs.name }}.conf", content: x}
`,
    ),
  };
  t.deepEqual(problems(files), [
    ['PathOutsideAllowedRoots', 'modules/bad.yaml', 7, 'spec.resources[0].file.path'],
    ['PathOutsideAllowedRoots', 'modules/bad.yaml', 9, 'spec.resources[2].service.command'],
    ['PathOutsideAllowedRoots', 'modules/bad.yaml', 10, 'spec.resources[3].command.creates'],
    ['PathOutsideAllowedRoots', 'modules/bad.yaml', 11, 'spec.resources[4].file.path'],
  ]);
});

test('the Site document sets the allowed roots', (t) => {
  const site = 'apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata:\n  name: lab\nspec:\n  allowedPaths: [/srv]\n';
  const ds = problems({ ...validSite(), 'site.yaml': site });
  t.deepEqual(ds, [['PathOutsideAllowedRoots', 'modules/motd.yaml', 12, 'spec.resources[0].file.path']]);
});

test('duplicate names, a second Site', (t) => {
  const site = (name: string) => `apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata:\n  name: ${name}\nspec: {}\n`;
  const files = { ...validSite(), 'nodes/z.yaml': node('n1'), 'site.yaml': `${site('a')}---\n${site('b')}` };
  const result = loadSpec(revisionOf(files)).diagnostics;
  t.deepEqual(result.map((d) => [d.code, d.location?.file, d.location?.line]), [
    ['DuplicateName', 'nodes/z.yaml', 4],
    ['MultipleSites', 'site.yaml', 10],
  ]);
  t.regex(result[0]!.message, /nodes\/n1\.yaml:1/);
});

test('two steps rendering the same literal file on overlapping nodes; disjoint selectors are fine', (t) => {
  const two = (a: string, b: string) => `  steps:\n    - name: one\n      module: motd\n${a}      with: {greeting: a}\n    - name: two\n      module: motd\n${b}      with: {greeting: b}\n`;
  const files = { ...validSite(), 'nodes/n2.yaml': node('n2') };
  t.deepEqual(problems({ ...files, 'clusters/lab.yaml': cluster('lab', two('', '      nodes: {names: [n2]}\n')) }), [
    ['DuplicateResource', 'clusters/lab.yaml', 14, 'spec.steps[1].module'],
  ]);
  t.deepEqual(problems({ ...files, 'clusters/lab.yaml': cluster('lab', two('      nodes: {names: [n1]}\n', '      nodes: {names: [n2]}\n')) }), []);
});

test('two steps rendering the same command (or certificate) on the same nodes clash at load, as files do', (t) => {
  const steps = `  steps:\n    - name: one\n      module: init\n    - name: two\n      module: init\n`;
  const files = { ...validSite(), 'modules/init.yaml': module('init', '  resources:\n    - command: {name: init, argv: [/bin/true]}\n'), 'clusters/lab.yaml': cluster('lab', steps) };
  t.deepEqual(problems(files), [['DuplicateResource', 'clusters/lab.yaml', 13, 'spec.steps[1].module']]);
});

test('a module declaring one resource twice', (t) => {
  const files = { ...validSite(), 'modules/twice.yaml': module('twice', '  resources:\n    - directory: {path: /etc/x}\n    - directory: {path: /etc/x}\n') };
  t.deepEqual(problems(files), [['DuplicateResource', 'modules/twice.yaml', 8, 'spec.resources[1].directory.path']]);
});

test('selectors that match nothing are warnings', (t) => {
  const steps = `  steps:\n    - name: motd\n      module: motd\n      with:\n        greeting: {nodes: {roles: [etcd]}, fact: address}\n`;
  const ds = loadSpec(revisionOf({ ...validSite(), 'clusters/lab.yaml': cluster('lab', steps) })).diagnostics;
  t.deepEqual(ds.map((d) => [d.severity, d.code, d.field]), [['warning', 'SelectorMatchesNothing', 'spec.steps[0].with.greeting.nodes']]);
  const empty = loadSpec(revisionOf({ ...validSite(), 'nodes/n1.yaml': node('n1').replace('site: lab', 'site: other') })).diagnostics;
  t.deepEqual(empty.map((d) => [d.severity, d.code, d.field]), [['warning', 'SelectorMatchesNothing', 'spec.nodes']]);
  const joiners = (allow: string) => loadSpec(revisionOf({ ...validSite(), 'clusters/lab.yaml': cluster('lab', `  steps:\n    - name: motd\n      module: motd\n      nodes: {roles: [joining]}\n${allow}      with: {greeting: hi}\n`) })).diagnostics;
  t.deepEqual(joiners('').map((d) => [d.code, d.field]), [['SelectorMatchesNothing', 'spec.steps[0].nodes']]);
  t.deepEqual(joiners('      allowNoNodes: true\n'), [], 'a step for members that join later says so');
});

test('templates: missing, escaping the repository, and content/template both given', (t) => {
  const files = {
    ...validSite(),
    'modules/t.yaml': module(
      't',
      '  resources:\n    - file: {path: /etc/a, template: nope.liquid}\n    - file: {path: /etc/b, template: ../../etc/passwd}\n    - file: {path: /etc/c, content: x, template: ../templates/motd.liquid}\n',
    ),
  };
  t.deepEqual(problems(files), [
    ['TemplateNotFound', 'modules/t.yaml', 7, 'spec.resources[0].file.template'],
    ['PathTraversal', 'modules/t.yaml', 8, 'spec.resources[1].file.template'],
    ['SchemaViolation', 'modules/t.yaml', 9, 'spec.resources[2].file'],
  ]);
});

test('a dotted-number address that is not IPv4 is refused, though it parses as a host name', (t) => {
  const files = { ...validSite(), 'nodes/n2.yaml': node('n2').replace(fixtureAddress('n2'), '10.0.0.256'), 'nodes/n3.yaml': node('n3').replace(fixtureAddress('n3'), 'n3.lab.example.net') };
  t.deepEqual(problems(files), [['SchemaViolation', 'nodes/n2.yaml', 8, 'spec.address']]);
});
