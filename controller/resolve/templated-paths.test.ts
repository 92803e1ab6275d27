/**
 * Path fields are templates like content is: `/var/lib/x/{{ node.name }}.env` is planned as
 * /var/lib/x/n1.env on n1, and the rendered path meets the rules load holds literal paths to.
 */
import test from 'ava';
import type { Desired } from '../model/desired.js';
import { resolveSite } from './resolve-site.js';
import { clusterDoc, doc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';

type Docs = Parameters<typeof testSpec>[0];

const nodes = [node('n1', '10.0.0.1'), node('n2', '10.0.0.2')];
const site = (resources: unknown[], inputs: Record<string, unknown> = {}, extra: Docs = []) => [
  ...nodes,
  moduleDoc('m', { inputs: { sub: { type: 'string', default: 'app' }, ...inputs }, resources }),
  clusterDoc('c', { nodes: {}, steps: [{ name: 's', module: 'm' }] }),
  ...extra,
];
const resolved = (docs: Docs): Desired => {
  const r = resolveSite(testSpec(docs), {}, {});
  if (!r.desired) throw new Error(`unexpected diagnostics: ${JSON.stringify(r.diagnostics)}`);
  return r.desired;
};
const problems = (docs: Docs) => resolveSite(testSpec(docs), {}, {}).diagnostics.map((d) => [d.code, d.field, d.message]);
const keysOf = (d: Desired, name: string) => d.nodes.find((n) => n.name === name)!.resources.map((r) => r.key);

test('file, directory, guard, certificate and program paths are rendered per node, braces gone', (t) => {
  const d = resolved(
    site(
      [
        { directory: { path: '/var/lib/{{ inputs.sub }}' } },
        { file: { path: '/var/lib/{{ inputs.sub }}/{{ node.name }}.env', content: 'x' } },
        { service: { name: 'app', command: '/opt/{{ inputs.sub }}/bin/run', restartOnChangeOf: ['file:/var/lib/{{ inputs.sub }}/{{ node.name }}.env'] } },
        { command: { name: 'init', argv: ['/opt/{{ inputs.sub }}/init'], creates: '/var/lib/{{ inputs.sub }}/.{{ node.name }}', onChangeOf: ['directory:/var/lib/{{ inputs.sub }}'] } },
        { certificate: { name: 'tls', ca: 'ca', commonName: '{{ node.name }}', keyPath: '/etc/{{ inputs.sub }}/{{ node.name }}.key', certPath: '/etc/{{ inputs.sub }}/{{ node.name }}.crt' } },
      ],
      {},
      [doc('CertificateAuthority', 'ca', { certificate: 'x', keySecret: 'ca-key' })],
    ),
  );
  t.deepEqual(keysOf(d, 'n2'), ['certificate:tls', 'command:init', 'directory:/var/lib/app', 'file:/var/lib/app/n2.env', 'service:app']);
  const n2 = d.nodes.find((n) => n.name === 'n2')!;
  const spec = (key: string) => n2.resources.find((r) => r.key === key)!.spec;
  t.like(spec('file:/var/lib/app/n2.env'), { path: '/var/lib/app/n2.env' });
  t.like(spec('service:app'), { command: '/opt/app/bin/run', restartOnChangeOf: ['file:/var/lib/app/n2.env'] });
  t.like(spec('command:init'), { argv: ['/opt/app/init'], creates: '/var/lib/app/.n2', onChangeOf: ['directory:/var/lib/app'] });
  t.like(spec('certificate:tls'), { keyPath: '/etc/app/n2.key', certPath: '/etc/app/n2.crt' });
  // The rendered reference still names the rendered file, so the restart edge holds.
  t.true(n2.resources.find((r) => r.key === 'service:app')!.dependsOn.includes('n2/file:/var/lib/app/n2.env'));
  t.true(n2.resources.find((r) => r.key === 'file:/var/lib/app/n2.env')!.dependsOn.includes('n2/directory:/var/lib/app'));
});

test('a value that climbs out with ".." is refused at the path field with the code load uses, once for all nodes', (t) => {
  const files = site([{ file: { path: '/etc/{{ inputs.sub }}/x.conf', content: 'x' } }], { sub: { type: 'string', default: '../root/.ssh' } });
  t.deepEqual(problems(files), [['SchemaViolation', 'spec.resources[0].file.path', 'once rendered, this path must not contain ".." segments [node n1 (and 1 other node)]']]);
});

test('a rendered path with a line break, or outside the allowed roots, is refused like a literal one', (t) => {
  const newline = site([{ directory: { path: '/var/lib/{{ inputs.sub }}' } }], { sub: { type: 'string', default: 'a\nb' } });
  t.deepEqual(problems(newline).map(([code, field]) => [code, field]), [['SchemaViolation', 'spec.resources[0].directory.path']]);
  // Load already refuses this one by its literal prefix (/srv is not under /srv/app); resolve holds on its own.
  const narrow = doc('Site', 'site', { allowedPaths: ['/srv/app'] });
  const outside = site([{ file: { path: '/srv/{{ inputs.sub }}/x', content: 'x' } }], { sub: { type: 'string', default: 'other' } }, [narrow]);
  t.deepEqual(problems(outside).map(([code, field]) => [code, field]), [['PathOutsideAllowedRoots', 'spec.resources[0].file.path']]);
  // Load cannot judge a program that is all template (it is not absolute until rendered); resolve can.
  const program = site([{ command: { name: 'go', argv: ['{{ inputs.sub }}'] } }], { sub: { type: 'string', default: '/tmp/evil' } });
  t.deepEqual(problems(program).map(([code, field]) => [code, field]), [['PathOutsideAllowedRoots', 'spec.resources[0].command.argv[0]']]);
});

test('a path template that fails to render is a TemplateError at the path field', (t) => {
  t.deepEqual(problems(site([{ file: { path: '/etc/{{ node.nmae }}.conf', content: 'x' } }])).map(([code, field]) => [code, field]), [['TemplateError', 'spec.resources[0].file.path']]);
});

test('two templated paths that render to one path on a node are one resource twice', (t) => {
  const files = site([
    { file: { path: '/etc/{{ inputs.sub }}.conf', content: 'a' } },
    { file: { path: '/etc/app.conf', content: 'b' } },
  ]);
  t.deepEqual(problems(files).map(([code]) => code), ['DuplicateResource']);
});
