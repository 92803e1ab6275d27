/**
 * Resolve before any node is observed (validate): inputs reading facts only an observation holds, and the
 * steps built on their outputs, are left for plan time with a warning at each input, instead of failing.
 */
import test from 'ava';
import { resolveSite } from './resolve-site.js';
import { clusterDoc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';

const nodes = [node('n1', '10.0.0.1', { roles: ['web'] }), node('n2', '10.0.0.2', { roles: ['web'], facts: { hostname: 'declared-n2' } })];
const web = moduleDoc('web', {
  inputs: { host: { type: 'string' } },
  outputs: { url: 'http://{{ inputs.host }}:8080' },
  resources: [{ file: { path: '/etc/web.conf', content: 'host {{ inputs.host }}\n' } }],
});
const check = moduleDoc('check', { inputs: { url: { type: 'string' } }, resources: [{ file: { path: '/etc/check', content: '{{ inputs.url }}' } }] });
const banner = moduleDoc('banner', { inputs: { text: { type: 'string' } }, resources: [{ file: { path: '/etc/motd', content: '{{ inputs.text }}' } }] });

const site = (steps: unknown[]) => testSpec([...nodes, web, check, banner, clusterDoc('c', { nodes: {}, steps })]);
const webSteps = [
  { name: 'banner', module: 'banner', with: { text: 'hello' } },
  { name: 'web', module: 'web', with: { host: { fact: 'hostname' } } },
  { name: 'check', module: 'check', with: { url: { output: 'web.url' } } },
];
const summary = (ds: { severity: string; code: string; field?: string; message: string }[]) => ds.map((d) => [d.severity, d.code, d.field, d.message]);
const LATER = 'its template, path, shell-safety and input type checks run only at plan time';

test('an observed fact is pending, not missing: its step and the steps reading its outputs wait for plan time, named per node', (t) => {
  const r = resolveSite(site(webSteps), {}, {}, { factsPending: true });
  t.is(r.desired, null, 'no partial Desired: it would plan deletions of what was left out');
  t.deepEqual(r.pendingSteps, [
    { cluster: 'c', step: 'web', nodes: ['n1'] },
    { cluster: 'c', step: 'check', nodes: ['n1'] },
  ]);
  t.deepEqual(summary(r.diagnostics), [
    ['warning', 'ResolvedAtPlanTime', 'spec.steps[1].with.host', `{fact: hostname} is observed on the node, so input "host" is resolved at plan time and step "web" is rendered then: ${LATER} [node n1]`],
    ['warning', 'ResolvedAtPlanTime', 'spec.steps[2].with.url', `{output: web.url} comes from step "web", which waits for observed facts, so input "url" is resolved at plan time and step "check" is rendered then: ${LATER} [node n1]`],
  ]);
});

test('a list over nodes waiting for one node\'s observed fact makes the whole step pending', (t) => {
  const steps = [{ name: 'web', module: 'web', with: { host: 'x' } }, { name: 'check', module: 'check', with: { url: { output: 'web.url', nodes: { roles: ['web'] } } } }];
  const lists = moduleDoc('check', { inputs: { url: { type: 'list' } }, resources: [{ file: { path: '/etc/check', content: '{{ inputs.url | join: "," }}' } }] });
  const archSteps = [{ name: 'check', module: 'check', with: { url: { nodes: { roles: ['web'] }, fact: 'arch' } } }];
  const archs = resolveSite(testSpec([...nodes, web, lists, clusterDoc('c', { nodes: {}, steps: archSteps })]), {}, {}, { factsPending: true });
  t.deepEqual(archs.pendingSteps, [{ cluster: 'c', step: 'check', nodes: ['n1', 'n2'] }]);
  t.deepEqual(summary(archs.diagnostics).map((d) => d.slice(0, 3)), [['warning', 'ResolvedAtPlanTime', 'spec.steps[0].with.url']]);
  // Nothing pending upstream: the list is known now.
  const known = resolveSite(testSpec([...nodes, web, lists, clusterDoc('c', { nodes: {}, steps })]), {}, {}, { factsPending: true });
  t.deepEqual([known.pendingSteps, known.diagnostics], [[], []]);
  t.truthy(known.desired);
});

test('what does not wait for a fact is still checked now: errors elsewhere, and a fact no observation holds', (t) => {
  const broken = [{ ...webSteps[0], with: { text: 7 } }, webSteps[1], { name: 'typo', module: 'banner', with: { text: { fact: 'hostnme' } } }];
  const r = resolveSite(site(broken), {}, {}, { factsPending: true });
  t.is(r.desired, null);
  t.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.field]),
    [
      ['InputTypeMismatch', 'spec.steps[0].with.text'],
      ['UnknownFact', 'spec.steps[2].with.text'],
    ],
  );
});

test('once the nodes are observed the same site resolves; an observed fact the observation lacks is UnknownFact saying so', (t) => {
  const observed = resolveSite(site(webSteps), { n1: { hostname: 'web-1' }, n2: {} }, {});
  t.deepEqual([observed.diagnostics, observed.pendingSteps], [[], []]);
  const files = observed.desired?.nodes.map((n) => n.resources.find((r) => r.key === 'file:/etc/check')?.spec);
  t.like(files, [{ content: 'http://web-1:8080' }, { content: 'http://declared-n2:8080' }]);
  const missing = resolveSite(site(webSteps), {}, {});
  t.deepEqual(missing.diagnostics.map((d) => [d.severity, d.code]), [['error', 'OutputNotOnNode'], ['error', 'UnknownFact']]);
  t.regex(missing.diagnostics[1]!.message, /has no fact "hostname": it is observed on the node, and this observation has none/);
});

test('a template reading node.facts of an observed fact waits for plan time too, where the node does not declare it', (t) => {
  const motd = moduleDoc('motd', {
    outputs: { kernel: '{{ node.facts.kernel }}' },
    resources: [{ file: { path: '/etc/motd', template: '../templates/motd.liquid' } }, { file: { path: '/etc/issue', content: 'plain {{ node.name }}' } }],
  });
  const templates = { 'templates/motd.liquid': 'Welcome to {{ node.facts.hostname }} on {{ node.facts.rack }}\n' };
  const rack = [node('n1', '10.0.0.1', { facts: { rack: 'r1' } }), node('n2', '10.0.0.2', { facts: { rack: 'r2', hostname: 'declared-n2', kernel: '6.1' } })];
  const spec = testSpec([...rack, motd, clusterDoc('c', { nodes: {}, steps: [{ name: 'motd', module: 'motd' }] })], templates);
  const r = resolveSite(spec, {}, {}, { factsPending: true });
  t.deepEqual(r.pendingSteps, [{ cluster: 'c', step: 'motd', nodes: ['n1'] }], 'n2 declares both facts, so it is checked now');
  t.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.location?.file, d.field]), [
    ['warning', 'ResolvedAtPlanTime', 'module/motd.yaml', 'spec.outputs.kernel'],
    ['warning', 'ResolvedAtPlanTime', 'templates/motd.liquid', undefined],
  ]);
  t.regex(r.diagnostics[1]!.message, /^node\.facts\.hostname is observed on the node, so step "motd" is rendered at plan time: .* \[node n1\]$/);
  const observed = resolveSite(spec, { n1: { hostname: 'web-1', kernel: '6.12' } }, {});
  t.deepEqual(observed.diagnostics, []);
  t.like(observed.desired?.nodes[0]?.resources.find((x) => x.key === 'file:/etc/motd')?.spec, { content: 'Welcome to web-1 on r1\n' });
});
