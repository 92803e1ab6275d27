import test from 'ava';
import { loadSpec } from '../load/load-spec.js';
import { cluster as clusterFile, module as moduleFile, node as nodeFile, revisionOf } from '../../test/support/site-files.js';
import type { Desired, DesiredNode } from '../model/desired.js';
import { resolveSite } from './resolve-site.js';
import { DEFAULT_ROLLOUT_POLICY } from '../spec/rollout-policy.js';
import { clusterDoc, doc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';
import { UncheckedSpec } from './unchecked-spec.js';
import type { NodeResourceSpec } from '../../test/support/build-desired.js';
import type { DesiredIpAllocation } from '../../reconcilers/ip/kind.js';
import type { DesiredDnsRecord } from '../../reconcilers/dns/kind.js';

type Docs = Parameters<typeof testSpec>[0];

function resolved(docs: Docs, facts: Record<string, Record<string, unknown>> = {}, allocations: Record<string, string> = {}, templates: Record<string, string> = {}): Desired {
  const r = resolveSite(testSpec(docs, templates), facts, allocations);
  if (!r.desired) throw new Error(`unexpected diagnostics: ${JSON.stringify(r.diagnostics)}`);
  return r.desired;
}

const nodeOf = (d: Desired, name: string): DesiredNode => d.nodes.find((n) => n.name === name)!;
const resource = (d: Desired, n: string, key: string) => nodeOf(d, n).resources.find((r) => r.key === key);
const content = (d: Desired, n: string, path: string): string | undefined => {
  const spec = resource(d, n, `file:${path}`)?.spec as NodeResourceSpec | undefined;
  return spec?.kind === 'file' && 'content' in spec ? spec.content : undefined;
};

/** A module writing its one input into a file, so a test can see what the input resolved to. */
const echo = (type: string, extra: Record<string, unknown> = {}) =>
  moduleDoc('echo', { inputs: { v: { type, ...extra } }, resources: [{ file: { path: '/etc/echo', content: '{{ inputs.v | json }}' } }] });
const oneStep = (withValues: Record<string, unknown>, nodes: Record<string, unknown> = {}) =>
  clusterDoc('c', { nodes, params: { region: 'cluster-wins' }, steps: [{ name: 'echo', module: 'echo', with: { v: withValues['v'] } }] });
const three = [node('n3', '10.0.0.3', { roles: ['etcd'], labels: { zone: 'b' } }), node('n1', '10.0.0.1', { roles: ['etcd'], labels: { zone: 'a' } }), node('n2', '10.0.0.2', { labels: { zone: 'a' } })];

test('cluster selectors AND their conditions; nodes in no cluster are listed without resources', (t) => {
  const d = resolved([...three, echo('string', { default: 'x' }), clusterDoc('c', { nodes: { roles: ['etcd'], matchLabels: { zone: 'a' } }, steps: [{ name: 'echo', module: 'echo' }] })]);
  t.deepEqual(d.nodes.map((n) => [n.name, n.clusters, n.resources.length]), [['n1', ['c'], 1], ['n2', [], 0], ['n3', [], 0]]);
  t.deepEqual(d.clusters, [{ name: 'c', nodes: ['n1'], rollout: DEFAULT_ROLLOUT_POLICY }]);
});

test('rollout: the Site\'s defaults under the cluster\'s fields (the planner takes percentages of the members)', (t) => {
  const site = doc('Site', 'site', { rollout: { maxUnavailable: '50%', failureBudget: '40%' } });
  const steps = [{ name: 'echo', module: 'echo' }];
  const clusters = (c: Record<string, unknown>) => resolved([...three, site, echo('string', { default: 'x' }), clusterDoc('c', { steps, ...c })]).clusters;
  const policy = (c: Record<string, unknown>) => clusters(c).map((x) => [x.nodes, x.rollout.maxUnavailable, x.rollout.failureBudget]);
  t.deepEqual(policy({ nodes: {} }), [[['n1', 'n2', 'n3'], '50%', '40%']]);
  t.deepEqual(policy({ nodes: {}, rollout: { batchSize: 2, failureBudget: 0 } }), [[['n1', 'n2', 'n3'], 2, 0]]);
});

test('a step narrows the cluster nodes with its own selector', (t) => {
  const d = resolved([...three, echo('string', { default: 'x' }), clusterDoc('c', { nodes: {}, steps: [{ name: 'echo', module: 'echo', nodes: { names: ['n2', 'n3'] } }] })]);
  t.deepEqual(d.nodes.map((n) => n.resources.length), [0, 1, 1]);
});

test('pick: first runs a step on the first node (by name) its selector picks, never on a decommissioned one, and readers wait for that node only', (t) => {
  const plain = moduleDoc('plain', { outputs: { o: '{{ node.name }}' }, resources: [{ file: { path: '/etc/plain', content: 'x' } }] });
  const cluster = clusterDoc('c', {
    nodes: {},
    steps: [
      { name: 'plain', module: 'plain', nodes: { matchLabels: { zone: 'a' } }, pick: 'first' },
      { name: 'echo', module: 'echo', nodes: { names: ['n3'] }, with: { v: { output: 'plain.o', nodes: {} } } },
    ],
  });
  const d = resolved([...three, plain, echo('list'), cluster]);
  t.deepEqual(d.nodes.map((n) => [n.name, n.resources.map((r) => r.key)]), [['n1', ['file:/etc/plain']], ['n2', []], ['n3', ['file:/etc/echo']]]);
  t.is(content(d, 'n3', '/etc/echo'), '["n1"]');
  t.deepEqual(resource(d, 'n3', 'file:/etc/echo')?.dependsOn, ['n1/file:/etc/plain']);

  const leaving = node('n1', '10.0.0.1', { roles: ['etcd'], labels: { zone: 'a' } });
  (leaving as { spec: Record<string, unknown> }).spec.decommission = true;
  const moved = resolved([three[0]!, leaving, three[2]!, plain, echo('list'), cluster]);
  t.deepEqual(moved.nodes.map((n) => [n.name, n.resources.map((r) => r.key)]), [['n1', []], ['n2', ['file:/etc/plain']], ['n3', ['file:/etc/echo']]]);
  t.is(content(moved, 'n3', '/etc/echo'), '["n2"]');
});

test('params: cluster params override site params', (t) => {
  const site = doc('Site', 'site', { params: { region: 'site', only: 'site-only' } });
  t.is(content(resolved([...three, site, echo('string'), oneStep({ v: { param: 'region' } })]), 'n1', '/etc/echo'), '"cluster-wins"');
  t.is(content(resolved([...three, site, echo('string'), oneStep({ v: { param: 'only' } })]), 'n1', '/etc/echo'), '"site-only"');
});

test('facts: built-ins, labels, declared facts over observed ones', (t) => {
  const nodes = [node('n1', '10.0.0.1', { roles: ['etcd'], labels: { zone: 'a' }, facts: { rack: 'r1' } })];
  const observed = { n1: { rack: 'observed', cpus: 4 } };
  const get = (fact: string, type: string) => content(resolved([...nodes, echo(type), oneStep({ v: { fact } })], observed), 'n1', '/etc/echo');
  t.is(get('name', 'string'), '"n1"');
  t.is(get('address', 'string'), '"10.0.0.1"');
  t.is(get('roles', 'list'), '["etcd"]');
  t.is(get('labels.zone', 'string'), '"a"');
  t.is(get('rack', 'string'), '"r1"');
  t.is(get('cpus', 'integer'), '4');
});

test('cluster linking: a fact of every matching node, sorted by name', (t) => {
  const d = resolved([...three, echo('list'), oneStep({ v: { nodes: { roles: ['etcd'] }, fact: 'address' } })]);
  t.is(content(d, 'n2', '/etc/echo'), '["10.0.0.1","10.0.0.3"]');
});

test('literals, {value} escapes and module defaults', (t) => {
  t.is(content(resolved([...three, echo('map'), oneStep({ v: { value: { param: 'not-a-ref' } } })]), 'n1', '/etc/echo'), '{"param":"not-a-ref"}');
  t.is(content(resolved([...three, echo('list'), oneStep({ v: [1, 2] })]), 'n1', '/etc/echo'), '[1,2]');
  t.is(content(resolved([...three, echo('integer', { default: 7 }), clusterDoc('c', { nodes: {}, steps: [{ name: 'echo', module: 'echo' }] })]), 'n1', '/etc/echo'), '7');
});

test('a value of the wrong type is InputTypeMismatch at the with field', (t) => {
  const r = resolveSite(testSpec([...three, echo('integer'), oneStep({ v: 'seven' })]), {}, {});
  t.is(r.desired, null);
  t.deepEqual(r.diagnostics.map((d) => [d.code, d.field, d.location?.file]), [['InputTypeMismatch', 'spec.steps[0].with.v', 'cluster/c.yaml']]);
});

test('a missing fact is a diagnostic: only resolve knows the observed facts', (t) => {
  const codes = (docs: Docs) => resolveSite(testSpec(docs), {}, {}).diagnostics.map((d) => d.code);
  t.deepEqual(codes([...three, echo('string'), oneStep({ v: { fact: 'nope' } })]), ['UnknownFact']);
});

test('what load refuses (missing params, inputs and modules, step cycles) is thrown back, not checked again', (t) => {
  const resolveOf = (docs: Docs) => () => resolveSite(testSpec(docs), {}, {});
  const cases: [Docs, RegExp][] = [
    [[...three, echo('string'), oneStep({ v: { param: 'nope' } })], /no param "nope"/],
    [[...three, echo('string'), clusterDoc('c', { nodes: {}, steps: [{ name: 'echo', module: 'echo' }] })], /input "v" of module "echo" has no default/],
    [[...three, clusterDoc('c', { nodes: {}, steps: [{ name: 'echo', module: 'ghost' }] })], /no Module "ghost"/],
    [
      [...three, echo('string'), clusterDoc('c', { nodes: {}, steps: [{ name: 'a', module: 'echo', with: { v: { output: 'b.x' } } }, { name: 'b', module: 'echo', with: { v: { output: 'a.x' } } }] })],
      /steps a -> b read each other's outputs in a cycle/,
    ],
  ];
  for (const [docs, message] of cases) t.throws(resolveOf(docs), { instanceOf: UncheckedSpec, code: 'UncheckedSpec', message });
});

test('one failure on many nodes is one diagnostic naming a node and the count', (t) => {
  const r = resolveSite(testSpec([...three, echo('string'), oneStep({ v: { fact: 'nope' } })]), {}, {});
  t.is(r.diagnostics.length, 1);
  t.regex(r.diagnostics[0]!.message, /\[node n1 \(and 2 other nodes\)\]$/);
});

const producer = moduleDoc('producer', {
  outputs: { url: 'http://{{ node.address }}:2379' },
  resources: [{ directory: { path: '/var/lib/p' } }, { file: { path: '/var/lib/p/conf', content: 'x' } }, { service: { name: 'p', command: '/usr/bin/p' } }],
});

test('outputs: same node, and from matching nodes (sorted); order follows references, not declaration', (t) => {
  const cluster = clusterDoc('c', {
    nodes: {},
    steps: [
      { name: 'list', module: 'echo', nodes: { names: ['n2'] }, with: { v: { output: 'prod.url', nodes: { matchLabels: { zone: 'a' } } } } },
      { name: 'prod', module: 'producer', nodes: { roles: ['etcd'] } },
    ],
  });
  const d = resolved([...three, echo('list'), producer, cluster]);
  t.is(content(d, 'n2', '/etc/echo'), '["http://10.0.0.1:2379"]');
  const same = clusterDoc('c', { nodes: { roles: ['etcd'] }, steps: [{ name: 'prod', module: 'producer' }, { name: 'one', module: 'echo', with: { v: { output: 'prod.url' } } }] });
  t.is(content(resolved([...three, echo('string'), producer, same]), 'n3', '/etc/echo'), '"http://10.0.0.3:2379"');
});

test('reading an output on a node where its step does not run is OutputNotOnNode', (t) => {
  const cluster = clusterDoc('c', { nodes: {}, steps: [{ name: 'prod', module: 'producer', nodes: { roles: ['etcd'] } }, { name: 'one', module: 'echo', with: { v: { output: 'prod.url' } } }] });
  const r = resolveSite(testSpec([...three, echo('string'), producer, cluster]), {}, {});
  t.deepEqual(r.diagnostics.map((d) => [d.code, d.field]), [['OutputNotOnNode', 'spec.steps[1].with.v']]);
  t.regex(r.diagnostics[0]!.message, /\[node n2\]$/);
});

test('dependencies: directories, content before services, same-node and cross-node output readers', (t) => {
  const consumer = moduleDoc('consumer', {
    inputs: { v: { type: 'string' }, all: { type: 'list' } },
    resources: [{ file: { path: '/var/lib/p/consumer', content: '{{ inputs.v }} {{ inputs.all | join: " " }}' } }, { command: { name: 'reload', argv: ['/usr/bin/true'] } }],
  });
  const cluster = clusterDoc('c', {
    nodes: { roles: ['etcd'] },
    steps: [
      { name: 'prod', module: 'producer' },
      { name: 'cons', module: 'consumer', nodes: { names: ['n1'] }, with: { v: { output: 'prod.url' }, all: { output: 'prod.url', nodes: {} } } },
    ],
  });
  const d = resolved([...three, producer, consumer, cluster]);
  t.deepEqual(resource(d, 'n3', 'service:p')?.dependsOn, ['n3/directory:/var/lib/p', 'n3/file:/var/lib/p/conf']);
  t.deepEqual(resource(d, 'n3', 'file:/var/lib/p/conf')?.dependsOn, ['n3/directory:/var/lib/p']);
  t.deepEqual(resource(d, 'n1', 'file:/var/lib/p/consumer')?.dependsOn, [
    'n1/directory:/var/lib/p',
    'n1/file:/var/lib/p/conf',
    'n1/service:p',
    'n3/service:p',
  ]);
  t.deepEqual(resource(d, 'n1', 'command:reload')?.dependsOn, ['n1/directory:/var/lib/p', 'n1/file:/var/lib/p/conf', 'n1/file:/var/lib/p/consumer', 'n1/service:p', 'n3/service:p']);
});

test('a cross-node reader of a step without services waits for all of that step', (t) => {
  const plain = moduleDoc('plain', { outputs: { o: '{{ node.name }}' }, resources: [{ file: { path: '/etc/plain', content: 'x' } }] });
  const cluster = clusterDoc('c', { nodes: {}, steps: [{ name: 'plain', module: 'plain', nodes: { names: ['n1'] } }, { name: 'echo', module: 'echo', nodes: { names: ['n2'] }, with: { v: { output: 'plain.o', nodes: {} } } }] });
  t.deepEqual(resource(resolved([...three, plain, echo('list'), cluster]), 'n2', 'file:/etc/echo')?.dependsOn, ['n1/file:/etc/plain']);
});

test('template errors point at the field, or at the line inside a template file', (t) => {
  const inline = moduleDoc('bad', { resources: [{ file: { path: '/etc/x', content: '{{ inputs.missing }}' } }] });
  const fromFile = moduleDoc('bad', { resources: [{ file: { path: '/etc/x', template: 'templates/x.liquid' } }] });
  const cluster = clusterDoc('c', { nodes: {}, steps: [{ name: 'bad', module: 'bad' }] });
  const a = resolveSite(testSpec([...three, inline, cluster]), {}, {}).diagnostics;
  t.deepEqual(a.map((d) => [d.code, d.field, d.location?.file]), [['TemplateError', 'spec.resources[0].file.content', 'module/bad.yaml']]);
  const b = resolveSite(testSpec([...three, fromFile, cluster], { 'module/templates/x.liquid': 'ok\nok\n{{ node.nope }}\n' }), {}, {}).diagnostics;
  t.deepEqual(b.map((d) => [d.code, d.location?.file, d.location?.line]), [['TemplateError', 'module/templates/x.liquid', 3]]);
});

test('an error in an inline template points at its line and column in the YAML file, not at the field', (t) => {
  const files = {
    'nodes/n1.yaml': nodeFile('n1'),
    'modules/motd.yaml': moduleFile(
      'motd',
      `  resources:
    - file:
        path: /etc/motd
        content: |
          Welcome to {{ node.name }}.
          {% if node.roles.size > 0 %}
            Roles: {{ node.roles | join: ", " | upcase }} and {{ inputs.missing }}
          {% endif %}
    - command:
        name: hello
        argv: [/usr/bin/printf, "%s", "{{ node.name }} {{ node.nope }}"]
`,
    ),
    'clusters/lab.yaml': clusterFile('lab', '  steps:\n    - {name: motd, module: motd}\n'),
  };
  const loaded = loadSpec(revisionOf(files));
  t.deepEqual(loaded.diagnostics, []);
  const problems = resolveSite(loaded.spec!, {}, {}).diagnostics;
  t.deepEqual(
    problems.map((d) => [d.code, d.location, d.field]),
    [
      ['TemplateError', { file: 'modules/motd.yaml', line: 12, column: 66 }, 'spec.resources[0].file.content'],
      ['TemplateError', { file: 'modules/motd.yaml', line: 16, column: 59 }, 'spec.resources[1].command.argv[2]'],
    ],
  );
  // The position in the template's own text would contradict the location, so the message leaves it out.
  t.deepEqual(problems.map((d) => d.message), ['template error: undefined variable: inputs.missing [node n1]', 'template error: undefined variable: node.nope [node n1]']);
});

test('template files render with the step scope; modes are normalised', (t) => {
  const m = moduleDoc('tpl', { resources: [{ file: { path: '/etc/x', template: '../files/x.liquid', mode: '600' } }] });
  const d = resolved([...three, m, clusterDoc('c', { nodes: {}, steps: [{ name: 'tpl', module: 'tpl' }] })], {}, {}, { 'files/x.liquid': '{{ cluster.name }}/{{ step.name }}/{{ node.name }}' });
  const spec = resource(d, 'n2', 'file:/etc/x')?.spec;
  t.like(spec, { content: 'c/tpl/n2', mode: '0600' });
});

test('shell scripts may not splice values that need quoting; "$1" is the way', (t) => {
  const m = (argv: string[]) => moduleDoc('sh', { inputs: { dir: { type: 'string', default: '/srv/my data' } }, resources: [{ command: { name: 'go', argv } }] });
  const cluster = clusterDoc('c', { nodes: { names: ['n1'] }, steps: [{ name: 'sh', module: 'sh' }] });
  const bad = resolveSite(testSpec([...three, m(['sh', '-c', 'mkdir -p {{ inputs.dir }}']), cluster]), {}, {}).diagnostics;
  t.deepEqual(bad.map((d) => [d.code, d.field]), [['UnsafeShellValue', 'spec.resources[0].command.argv[2]']]);
  t.regex(bad[0]!.message, /input "dir".*separate argv element/);
  t.deepEqual(resolveSite(testSpec([...three, m(['sh', '-c', 'mkdir -p "$1"', '_', '{{ inputs.dir }}']), cluster]), {}, {}).diagnostics, []);
  t.deepEqual(resolveSite(testSpec([...three, m(['/bin/mkdir', '-p', '{{ inputs.dir }}']), cluster]), {}, {}).diagnostics, []);
});

test('values reach no shell through wrappers, long options or interpreters; data and "$1" still pass', (t) => {
  const m = (argv: string[], unless?: string[]) =>
    moduleDoc('w', { inputs: { dir: { type: 'string', default: '/srv/my data' } }, resources: [{ command: { name: 'go', argv, ...(unless ? { unless } : {}) } }] });
  const cluster = clusterDoc('c', { nodes: { names: ['n1'] }, steps: [{ name: 'w', module: 'w' }] });
  const fields = (argv: string[], unless?: string[]) => resolveSite(testSpec([...three, m(argv, unless), cluster]), {}, {}).diagnostics.map((d) => [d.code, d.field]);
  const refused = (at: string) => [['UnsafeShellValue', `spec.resources[0].command.${at}`]];
  t.deepEqual(fields(['/usr/bin/env', 'sh', '-c', 'mkdir -p {{ inputs.dir }}']), refused('argv[3]'));
  t.deepEqual(fields(['sudo', '-u', 'app', 'sh', '-c', 'mkdir -p {{ inputs.dir }}']), refused('argv[5]'));
  t.deepEqual(fields(['bash', '--noprofile', '--norc', '-c', 'mkdir -p {{ inputs.dir }}']), refused('argv[4]'));
  t.deepEqual(fields(['ssh', 'db1', 'mkdir -p {{ inputs.dir }}']), refused('argv[2]'));
  t.deepEqual(fields(['python3', '-c', '{{ inputs.dir }}']), refused('argv[2]'));
  t.deepEqual(fields(['/bin/true'], ['env', 'bash', '-c', 'test -d {{ inputs.dir }}']), refused('unless[3]'));
  t.deepEqual(fields(['/usr/bin/env', 'sh', '-c', 'mkdir -p "$1"', '_', '{{ inputs.dir }}']), []);
  t.deepEqual(fields(['sudo', '/bin/mkdir', '-p', '{{ inputs.dir }}']), []);
});

test('a guarded command\'s rollback argv is held to the rules of its argv, and reaches the desired command', (t) => {
  const m = (rollback: string[]) =>
    moduleDoc('w', { inputs: { dir: { type: 'string', default: '/srv/my data' } }, resources: [{ command: { name: 'go', argv: ['/bin/mkdir', '-p', '{{ inputs.dir }}'], rollback } }] });
  const cluster = clusterDoc('c', { nodes: { names: ['n1'] }, steps: [{ name: 'w', module: 'w' }] });
  const resolved = (rollback: string[]) => resolveSite(testSpec([...three, m(rollback), cluster]), {}, {});
  t.deepEqual(resolved(['sh', '-c', 'rmdir {{ inputs.dir }}']).diagnostics.map((d) => [d.code, d.field]), [['UnsafeShellValue', 'spec.resources[0].command.rollback[2]']]);
  const ok = resolved(['/bin/rmdir', '{{ inputs.dir }}']);
  t.deepEqual(ok.diagnostics, []);
  const command = ok.desired?.nodes.find((n) => n.name === 'n1')?.resources.find((r) => r.key === 'command:go');
  t.deepEqual((command?.spec as { rollback?: string[] } | undefined)?.rollback, ['/bin/rmdir', '/srv/my data']);
});

test('service args calling a shell are checked too, and line breaks are refused in argv and environment', (t) => {
  const m = moduleDoc('svc', {
    inputs: { msg: { type: 'string', default: 'a\nb' } },
    resources: [{ service: { name: 's', command: '/bin/sh', args: ['-c', 'echo {{ inputs.msg }}'], environment: { MSG: '{{ inputs.msg }}' } } }],
  });
  const cluster = clusterDoc('c', { nodes: { names: ['n1'] }, steps: [{ name: 'svc', module: 'svc' }] });
  const ds = resolveSite(testSpec([...three, m, cluster]), {}, {}).diagnostics;
  t.deepEqual(ds.map((d) => [d.code, d.field]).sort(), [
    ['UnsafeShellValue', 'spec.resources[0].service.args[1]'],
    ['UnsafeShellValue', 'spec.resources[0].service.args[1]'],
    ['UnsafeShellValue', 'spec.resources[0].service.environment.MSG'],
  ]);
});

test('the same resource from two clusters on one node is DuplicateResource', (t) => {
  const m = moduleDoc('m', { resources: [{ file: { path: '/etc/same', content: 'x' } }] });
  const ds = resolveSite(testSpec([...three, m, clusterDoc('a', { nodes: { names: ['n1'] }, steps: [{ name: 's', module: 'm' }] }), clusterDoc('b', { nodes: {}, steps: [{ name: 's', module: 'm' }] })]), {}, {}).diagnostics;
  t.deepEqual(ds.map((d) => d.code), ['DuplicateResource']);
  t.regex(ds[0]!.message, /cluster "a".*cluster "b".*\[node n1\]/);
});

test('addresses: kept when allocated, else the lowest free; exhaustion is PoolExhausted', (t) => {
  const pool = doc('IPPool', 'vips', { cidr: '10.0.0.0/29' });
  const m = moduleDoc('m', {});
  const cluster = (names: string[]) => clusterDoc('c', { nodes: {}, addresses: names.map((name) => ({ name, pool: 'vips' })), steps: [{ name: 's', module: 'm' }] });
  const d = resolved([...three, pool, m, cluster(['vip', 'api'])], {}, { 'vips/c.vip': '10.0.0.6' });
  t.deepEqual(d.services.map((s) => [s.key, s.target, s.spec.kind === 'ip' ? (s.spec as DesiredIpAllocation).address : '']), [
    ['ip:vips/c.api', { name: 'vips', type: 'pool' }, '10.0.0.4'],
    ['ip:vips/c.vip', { name: 'vips', type: 'pool' }, '10.0.0.6'],
  ]);
  const r = resolveSite(testSpec([...three, pool, m, cluster(['a', 'b', 'c', 'd'])]), {}, {});
  t.deepEqual(r.diagnostics.map((x) => [x.code, x.field]), [['PoolExhausted', 'spec.addresses[3]']]);
});

test('dns: one A/AAAA record per cluster node, with the zone ttl', (t) => {
  const zone = doc('DNSZone', 'lab', { zone: 'lab.example.net', server: { address: '10.0.0.53' }, tsigKeySecret: 'tsig', ttl: 60 });
  const d = resolved([node('v4', '10.0.0.1'), node('v6', '2001:db8::1'), zone, moduleDoc('m', {}), clusterDoc('c', { nodes: {}, dns: { zone: 'lab' }, steps: [{ name: 's', module: 'm' }] })]);
  t.deepEqual(d.services.map((s) => (s.spec.kind === 'dns' ? [s.key, (s.spec as DesiredDnsRecord).value, (s.spec as DesiredDnsRecord).ttl] : [])), [
    ['dns:lab/v4.lab.example.net./A', '10.0.0.1', 60],
    ['dns:lab/v6.lab.example.net./AAAA', '2001:db8::1', 60],
  ]);
});

test('endpoints: node ssh settings over site defaults; service manager from node, observed fact, site', (t) => {
  const site = doc('Site', 'site', { ssh: { user: 'admin', port: 2222 }, serviceManager: 'runit' });
  const custom = { ...node('custom', '10.0.0.9'), spec: { address: '10.0.0.9', serviceManager: 'systemd', ssh: { hostKey: 'ssh-ed25519 AAAA', user: 'ops', port: 22, via: 'plain' } } };
  const d = resolved([site, custom as Docs[number], node('plain', '10.0.0.8'), node('observed', '10.0.0.7')], { observed: { serviceManager: 'systemd' } });
  t.deepEqual(d.nodes.map((n) => [n.name, n.user, n.port, n.serviceManager, n.via]), [
    ['custom', 'ops', 22, 'systemd', 'plain'],
    ['observed', 'admin', 2222, 'systemd', undefined],
    ['plain', 'admin', 2222, 'runit', undefined],
  ]);
});

test('Desired does not depend on document order', (t) => {
  const cluster = clusterDoc('c', { nodes: {}, steps: [{ name: 'prod', module: 'producer', nodes: { roles: ['etcd'] } }, { name: 'echo', module: 'echo', with: { v: { output: 'prod.url', nodes: {} } } }] });
  const docs: Docs = [...three, producer, echo('list'), cluster];
  t.is(JSON.stringify(resolved(docs)), JSON.stringify(resolved([...docs].reverse())));
});

test('dns: PTRs in the reverse zones that hold the addresses, listed records in presentation form, and the zones a cluster uses', (t) => {
  const server = { address: '10.0.0.53' };
  const records = [
    { name: 'etcd', type: 'A', value: { address: 'vip' } },
    { name: 'api', type: 'CNAME', value: 'etcd' },
    { name: '_etcd._tcp', type: 'SRV', value: '0 10 2379 etcd', ttl: 30 },
    { name: '@', type: 'TXT', value: 'hello' },
    { name: 'ext.other.net.', type: 'A', value: '10.0.0.9' },
  ];
  const docs: Docs = [
    node('n1', '10.0.0.1'),
    node('n6', '2001:db8::1'),
    doc('DNSZone', 'lab', { zone: 'lab.example.net', server, tsigKeySecret: 'tsig', ttl: 60, policy: 'upsert-only' }),
    doc('DNSZone', 'rev4', { zone: '0.0.10.in-addr.arpa', server, tsigKeySecret: 'tsig' }),
    doc('DNSZone', 'rev6', { zone: '8.b.d.0.1.0.0.2.ip6.arpa', server, tsigKeySecret: 'tsig' }),
    doc('DNSZone', 'elsewhere', { zone: '9.9.10.in-addr.arpa', server, tsigKeySecret: 'tsig' }),
    doc('DNSZone', 'unused', { zone: 'unused.example.net', server, tsigKeySecret: 'tsig' }),
    doc('IPPool', 'vips', { cidr: '10.0.1.0/24' }),
    moduleDoc('m', {}),
    clusterDoc('c', {
      nodes: {},
      addresses: [{ name: 'vip', pool: 'vips' }],
      dns: { zone: 'lab', records },
      steps: [{ name: 's', module: 'm' }],
    }),
  ];
  const r = resolveSite(testSpec(docs), {}, {});
  t.deepEqual(r.diagnostics.map((x) => [x.code, x.field, x.message]), [['SchemaViolation', 'spec.dns.records[4].name', 'ext.other.net. is not in zone lab.example.net.']]);
  const d = resolved(docs.map((x) => (x.kind === 'Cluster' ? { ...x, spec: { ...(x.spec as object), dns: { zone: 'lab', records: records.slice(0, 4) } } } : x)));
  t.deepEqual(d.services.filter((s) => s.spec.kind === 'dns').map((s) => [s.key, (s.spec as DesiredDnsRecord).value, (s.spec as DesiredDnsRecord).ttl]), [
    ['dns:lab/_etcd._tcp.lab.example.net./SRV', '0 10 2379 etcd.lab.example.net.', 30],
    ['dns:lab/api.lab.example.net./CNAME', 'etcd.lab.example.net.', 60],
    ['dns:lab/etcd.lab.example.net./A', '10.0.1.1', 60],
    ['dns:lab/lab.example.net./TXT', 'hello', 60],
    ['dns:lab/n1.lab.example.net./A', '10.0.0.1', 60],
    ['dns:lab/n6.lab.example.net./AAAA', '2001:db8::1', 60],
    ['dns:rev4/1.0.0.10.in-addr.arpa./PTR', 'n1.lab.example.net.', 300],
    ['dns:rev6/1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa./PTR', 'n6.lab.example.net.', 300],
  ]);
  t.deepEqual(Object.keys(d.zones ?? {}), ['elsewhere', 'lab', 'rev4', 'rev6']);
  t.is(d.zones?.lab?.policy, 'upsert-only');
});

test('dns: a listed value its type does not take, or an address the cluster does not allocate, is reported at its field', (t) => {
  const zone = doc('DNSZone', 'lab', { zone: 'lab.example.net', server: { address: '10.0.0.53' }, tsigKeySecret: 'tsig' });
  const records = [
    { name: 'a', type: 'A', value: '2001:db8::1' },
    { name: 'srv', type: 'SRV', value: 'etcd:2379' },
    { name: 'vip', type: 'A', value: { address: 'nope' } },
  ];
  const r = resolveSite(testSpec([node('n1', '10.0.0.1'), zone, moduleDoc('m', {}), clusterDoc('c', { nodes: {}, dns: { zone: 'lab', nodeRecords: false, records }, steps: [{ name: 's', module: 'm' }] })]), {}, {});
  t.deepEqual(r.diagnostics.map((x) => [x.code, x.field]), [
    ['DanglingReference', 'spec.dns.records[2].value.address'],
    ['SchemaViolation', 'spec.dns.records[0].value'],
    ['SchemaViolation', 'spec.dns.records[1].value'],
  ]);
});
