import test from 'ava';
import { loadSpec } from './load-spec.js';
import { cluster, module, revisionOf, validSite } from '../../test/support/site-files.js';

test('a valid repository loads into a Spec with defaults and referenced templates', (t) => {
  const { spec, diagnostics } = loadSpec(revisionOf(validSite()));
  t.deepEqual(diagnostics, []);
  t.truthy(spec);
  t.deepEqual(Object.keys(spec!.nodes), ['n1']);
  t.is(spec!.site.doc.spec.serviceManager, 'runit');
  t.is(spec!.modules.motd!.doc.spec.inputs.width!.default, 80);
  t.deepEqual(spec!.templates, { 'templates/motd.liquid': '{{ inputs.greeting }}\n' });
});

test('Located.locate maps a field path to its file:line:col', (t) => {
  const { spec } = loadSpec(revisionOf(validSite()));
  const lab = spec!.clusters.lab!;
  t.deepEqual(lab.locate(['spec', 'steps', 0, 'with', 'greeting']), { file: 'clusters/lab.yaml', line: 13, column: 19 });
  t.deepEqual(lab.location, { file: 'clusters/lab.yaml', line: 1, column: 1 });
});

test('every problem of the repository is reported in one pass, sorted, and no Spec is returned', (t) => {
  const files = validSite();
  files['clusters/lab.yaml'] = cluster('lab', '  steps:\n    - name: a\n      module: nope\n');
  files['modules/other.yaml'] = module('other', '  resources:\n    - file: {path: /root/x, content: x}\n');
  const { spec, diagnostics } = loadSpec(revisionOf(files));
  t.is(spec, null);
  t.deepEqual(
    diagnostics.map((d) => [d.code, d.location?.file, d.location?.line]),
    [
      ['DanglingReference', 'clusters/lab.yaml', 11],
      ['PathOutsideAllowedRoots', 'modules/other.yaml', 7],
    ],
  );
});

test('warnings alone still give a Spec', (t) => {
  const files = validSite();
  files['clusters/lab.yaml'] = cluster('lab', '  steps:\n    - name: motd\n      module: motd\n      nodes: {roles: [etcd]}\n      with: {greeting: hi}\n');
  const { spec, diagnostics } = loadSpec(revisionOf(files));
  t.truthy(spec);
  t.deepEqual(diagnostics.map((d) => [d.severity, d.code, d.field]), [['warning', 'SelectorMatchesNothing', 'spec.steps[0].nodes']]);
});

test('the same revision gives byte-identical diagnostics', (t) => {
  const files = validSite();
  files['a.yaml'] = 'kind: Nope\n';
  files['b.yaml'] = 'x: [\n';
  const once = JSON.stringify(loadSpec(revisionOf(files)).diagnostics);
  t.is(JSON.stringify(loadSpec(revisionOf(files)).diagnostics), once);
  t.true(once.includes('UnknownKind') && once.includes('YamlSyntax'));
});
