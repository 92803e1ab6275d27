import test from 'ava';
import { TemplateEngine, type TemplateScope } from './template-engine.js';

const scope: TemplateScope = {
  inputs: { peers: ['a', 'b'], port: 2379 },
  node: { name: 'n1', address: '10.0.0.1', roles: ['etcd'], labels: {}, facts: {} },
  cluster: { name: 'c' },
  step: { name: 's' },
};

test('renders inputs, node and cluster, and records every interpolated value', (t) => {
  const out = new TemplateEngine().render('{{ node.name }}@{{ cluster.name }}:{{ inputs.port }} {{ inputs.peers | join: "," }}', scope);
  t.deepEqual(out, { ok: true, text: 'n1@c:2379 a,b', interpolated: ['n1', 'c', '2379', 'a,b'] });
});

test('an undefined variable is an error with its line', (t) => {
  const out = new TemplateEngine().render('line one\n{{ inputs.nope }}', scope);
  t.false(out.ok);
  if (!out.ok) {
    t.regex(out.message, /undefined variable: inputs.nope/);
    t.is(out.line, 2);
  }
});

test('unknown filters are errors', (t) => {
  t.false(new TemplateEngine().render('{{ inputs.port | frobnicate }}', scope).ok);
});

test('templates cannot read files or the clock', (t) => {
  const engine = new TemplateEngine();
  for (const text of ['{% include "/etc/passwd" %}', '{% render "x" %}', '{% layout "x" %}', '{{ "now" | date: "%Y" }}']) {
    t.false(engine.render(text, scope).ok, text);
  }
});

test('prototype properties are not reachable', (t) => {
  t.false(new TemplateEngine().render('{{ inputs.constructor }}', scope).ok);
});

test('raw does not hide a value from the interpolation record', (t) => {
  const out = new TemplateEngine().render('{{ node.address | raw }}', scope);
  t.deepEqual(out, { ok: true, text: '10.0.0.1', interpolated: ['10.0.0.1'] });
});

test('text without markup is its own rendering', (t) => {
  t.deepEqual(new TemplateEngine().render('plain {not liquid}', scope), { ok: true, text: 'plain {not liquid}', interpolated: [] });
});

test('output is bounded', (t) => {
  const out = new TemplateEngine().render('{% for i in (1..5000000) %}xxxxxxxxxx{% endfor %}', scope);
  t.false(out.ok);
});

const other: TemplateScope = { ...scope, inputs: { ...scope.inputs }, node: { name: 'n2', address: '10.0.0.2', roles: [], labels: { rack: 'r2' }, facts: {} } };

test('plain outputs render as Liquid would, and leave the rest to Liquid', (t) => {
  const engine = new TemplateEngine();
  const cases: [string, TemplateScope, string, string[]][] = [
    ['{{- node.name -}}\n{{ inputs.port }} {{ node.labels.rack }}', other, 'n22379 r2', ['n2', '2379', 'r2']],
    ['{{ inputs.peers.size }}/{{ inputs.peers.first }}', scope, '2/a', ['2', 'a']],
    ['{{ inputs.peers }}', scope, 'ab', ['ab']],
    ["{{ node['name'] }}", scope, 'n1', ['n1']],
  ];
  for (const [text, s, expected, interpolated] of cases) t.deepEqual(engine.render(text, s), { ok: true, text: expected, interpolated }, text);
  // The same outputs through a filter, which always goes through Liquid, must read the same.
  for (const [text, s] of cases) t.deepEqual(engine.render(text, s), engine.render(text.replace(/ (-?)}}/g, ' | raw $1}}'), s), text);
  const missing = engine.render('x {{ node.labels.rack }}', scope);
  t.false(missing.ok);
  if (!missing.ok) t.regex(missing.message, /undefined variable: node.labels.rack/);
});

test('renders are shared only between scopes equal in what the template reads', (t) => {
  const engine = new TemplateEngine();
  const text = '{% for p in inputs.peers %}{{ p }}@{{ cluster.name }},{% endfor %}{{ node.name | upcase }}';
  t.is(render(engine, text, scope), 'a@c,b@c,N1');
  t.is(render(engine, text, other), 'a@c,b@c,N2');
  const shared = '{% for p in inputs.peers %}{{ p }} {% endfor %}';
  t.is(render(engine, shared, scope), 'a b ');
  t.is(render(engine, shared, { ...other, inputs: { peers: ['c'] } }), 'c ');
  t.is(render(engine, shared, other), 'a b ');
  // increment writes into the scope: its output depends on what ran before, so it is never reused.
  const counter = '{% increment n %}';
  t.is(render(engine, counter, scope), '0');
  t.is(render(engine, counter, scope), '1');
});

function render(engine: TemplateEngine, text: string, s: TemplateScope): string {
  const out = engine.render(text, s);
  return out.ok ? out.text : `error: ${out.message}`;
}
