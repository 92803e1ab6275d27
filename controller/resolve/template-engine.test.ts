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
