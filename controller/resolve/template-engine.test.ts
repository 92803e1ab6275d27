import test from 'ava';
import { DEFAULT_RENDER_LIMITS, TemplateEngine, type RenderOutcome, type TemplateScope } from './template-engine.js';

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

const refusal = (out: RenderOutcome): [string, string, number?] | 'ok' => (out.ok ? 'ok' : [out.code, out.message, out.line]);

test('nested loops are refused by the step budget while they run, at the line where it ran out', (t) => {
  const text = 'header\n{% for a in (1..1000) %}{% for b in (1..1000) %}\n{% for c in (1..1000) %}{{ a }}{% endfor %}{% endfor %}{% endfor %}';
  const out = new TemplateEngine().render(text, scope);
  t.deepEqual(refusal(out), ['TemplateBudgetExceeded', `rendering takes more than ${DEFAULT_RENDER_LIMITS.steps} steps, the budget of one render (each loop iteration and each tag or output in it is a step)`, 3]);
  // Counted, not timed: a second engine refuses at the same place.
  t.deepEqual(refusal(new TemplateEngine().render(text, scope)), refusal(out));
});

test('a step is a list entered or a node rendered, so the budget is exact', (t) => {
  // The template (1 + 1 node) and each iteration's body (1 + 1 node): 2 + 2n steps.
  const engine = new TemplateEngine({ limits: { steps: 10 } });
  t.is(refusal(engine.render('{% for i in (1..4) %}x{% endfor %}', scope)), 'ok');
  t.is(refusal(engine.render('{% for i in (1..5) %}x{% endfor %}', scope))[0], 'TemplateBudgetExceeded');
  // Empty bodies still cost their entry: 2 + n.
  t.is(refusal(engine.render('{% for i in (1..8) %}{% endfor %}', scope)), 'ok');
  t.is(refusal(engine.render('{% for i in (1..9) %}{% endfor %}', scope))[0], 'TemplateBudgetExceeded');
});

test('bytes written are counted as they are written, captured text included, in UTF-8', (t) => {
  const engine = new TemplateEngine({ limits: { outputBytes: 8 } });
  t.is(refusal(engine.render('{{ "éééé" | append: "" }}', scope)), 'ok');
  t.deepEqual(refusal(engine.render('{{ "ééééé" | append: "" }}', scope)), ['TemplateBudgetExceeded', 'rendering writes more than 8 bytes, the budget of one render (captured text counts too)', 1]);
  // Nothing of the capture is output, but it was written.
  t.is(refusal(engine.render('{% capture x %}123456789{% endcapture %}', scope))[0], 'TemplateBudgetExceeded');
  // Doubling a capture 40 times would be 2^40 bytes; it stops at the default budget instead.
  const doubling = '{% capture x %}ab{% endcapture %}{% for i in (1..40) %}{% capture x %}{{ x }}{{ x }}{% endcapture %}{% endfor %}{{ x }}';
  t.is(refusal(new TemplateEngine().render(doubling, scope))[0], 'TemplateBudgetExceeded');
});

test('liquidjs memory accounting is part of the budget, with the same code', (t) => {
  const out = new TemplateEngine().render('{{ (1..100000000) | join: "," }}', scope);
  t.deepEqual(refusal(out), ['TemplateBudgetExceeded', `rendering allocates more than ${DEFAULT_RENDER_LIMITS.memory} units (string characters and array elements made by ranges and filters), the budget of one render`, 1]);
  const appending = '{% assign s = "xxxxxxxxxxxxxxxx" %}{% for i in (1..30) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}';
  t.is(refusal(new TemplateEngine().render(appending, scope))[0], 'TemplateBudgetExceeded');
});

test('the CPU-time backstop has its own code', (t) => {
  // Each read is a second later: the backstop fires on the first read past its limit.
  let ms = 0;
  const engine = new TemplateEngine({ limits: { cpuMs: 3_000 }, cpuTime: () => (ms += 1_000) });
  const out = engine.render('{% for i in (1..10000) %}x{% endfor %}', scope);
  t.is(refusal(out)[0], 'TemplateTimeLimit');
  t.regex(out.ok ? '' : out.message, /more than 3000 ms of CPU time, the backstop/);
  // A short render reads it only at its start.
  t.is(refusal(engine.render('{% for i in (1..10) %}x{% endfor %}', scope)), 'ok');
});

test('the fast path for plain outputs refuses exactly what Liquid would', (t) => {
  const engine = new TemplateEngine({ limits: { steps: 4, outputBytes: 6 } });
  // 1 + 3 nodes fit; 1 + 5 do not, with or without a filter (which forces Liquid).
  t.is(refusal(engine.render('{{ node.name }}-{{ node.name }}', scope)), 'ok');
  t.is(refusal(engine.render('{{ node.name }}-{{ node.name }}-{{ node.name }}', scope))[0], 'TemplateBudgetExceeded');
  t.is(refusal(engine.render('{{ node.name | raw }}-{{ node.name }}-{{ node.name }}', scope))[0], 'TemplateBudgetExceeded');
  const long: TemplateScope = { ...scope, node: { ...scope.node, name: 'abcdefg' } };
  t.is(refusal(engine.render('{{ node.name }}', long))[0], 'TemplateBudgetExceeded');
  t.is(refusal(engine.render('{{ node.name | raw }}', long))[0], 'TemplateBudgetExceeded');
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
