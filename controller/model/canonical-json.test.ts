import test from 'ava';
import { configure } from 'safe-stable-stringify';
import { canonicalJson, canonicalSha256 } from './canonical-json.js';
import { sha256 } from './sha256.js';

/** The well-kept library as the oracle: on plain data its deterministic output is canonical JSON. */
const stringify = configure({ deterministic: true, bigint: false, circularValue: TypeError });

/** A small deterministic generator of awkward JSON-ish values: every branch of the writer. */
function* values(): Generator<unknown> {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const keys = ['a', 'b', 'B', '10', '9', '', 'é', 'z\u0000', 'constructor', 'toString', 'path', 'content', 'Z', '\u{1F600}', '\uE000'];
  const leaf = (): unknown => [null, undefined, true, false, 0, -0, 1.5, NaN, Infinity, 1e21, 'x', 'é"\\\n\u0001\u2028', () => 1, Symbol('s')][next(14)];
  const build = (depth: number): unknown => {
    if (depth === 0 || next(3) === 0) return leaf();
    if (next(2) === 0) return Array.from({ length: next(4) }, () => build(depth - 1));
    const o: Record<string, unknown> = next(5) === 0 ? (Object.create(null) as Record<string, unknown>) : {};
    for (let i = next(6); i > 0; i--) o[keys[next(keys.length)]!] = build(depth - 1);
    return o;
  };
  for (let i = 0; i < 2000; i++) yield build(4);
  yield JSON.parse('{"__proto__": {"x": 1}, "a": {"b": 1}}') as unknown;
  yield Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, { [`v${i % 7}`]: i }]));
}

/** The plain JS serialiser every plan hash was first made of: the bytes canonical JSON must keep. */
function reference(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return `[${value.map((v) => reference(v) ?? 'null').join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .flatMap((k) => {
      const item = reference(record[k]);
      return item === undefined ? [] : [`${JSON.stringify(k)}:${item}`];
    });
  return `{${members.join(',')}}`;
}

test('compact canonical JSON keeps the bytes plans were hashed with, and is safe-stable-stringify\'s on plain data', (t) => {
  let n = 0;
  for (const value of values()) {
    if (typeof value !== 'object' || value === null) continue;
    t.is(canonicalJson(value), String(reference(value)));
    t.is(canonicalJson(value), String(stringify(value)));
    n++;
  }
  t.true(n > 500);
});

test('indented canonical JSON is safe-stable-stringify\'s indented output, nested values included', (t) => {
  for (const value of values()) {
    if (typeof value !== 'object' || value === null) continue;
    t.is(canonicalJson(value, 2), String(stringify(value, null, 2)));
    t.is(canonicalJson(value, 1), String(stringify(value, null, 1)));
  }
  // Sorted and unsorted parts side by side: the native writer's text is re-indented where it nests.
  const mixed = { b: [{ x: 1, y: [1, 2] }, { y: 1, x: 2 }], a: { p: 'q\nr', o: {} }, c: [] };
  t.is(canonicalJson(mixed, 2), '{\n  "a": {\n    "o": {},\n    "p": "q\\nr"\n  },\n  "b": [\n    {\n      "x": 1,\n      "y": [\n        1,\n        2\n      ]\n    },\n    {\n      "x": 2,\n      "y": 1\n    }\n  ],\n  "c": []\n}');
});

test('key order is code-unit order, integer-like keys included; unicode is written as JSON.stringify writes it', (t) => {
  t.is(canonicalJson({ b: 1, a: 2, '10': 3, '9': 4, B: 5, é: 6 }), '{"10":3,"9":4,"B":5,"a":2,"b":1,"é":6}');
  t.is(canonicalJson({ '\uE000': 1, '\u{1F600}': 2 }), '{"\u{1F600}":2,"\uE000":1}');
  t.is(canonicalJson(['é', '\u0000', '\u2028', '"\\', '\uD800']), '["é","\\u0000","\u2028","\\"\\\\","\\ud800"]');
});

test('numbers: as JSON writes them, non-finite ones as null', (t) => {
  t.is(canonicalJson([0, -0, 1.5, 1e21, 1e-7, NaN, Infinity, -Infinity, 2 ** 53]), '[0,0,1.5,1e+21,1e-7,null,null,null,9007199254740992]');
});

test('undefined members are dropped, undefined items are null; toJSON and prototypes are not followed', (t) => {
  t.is(canonicalJson({ a: undefined, b: [undefined, () => 1], c: Symbol('s') }), '{"b":[null,null]}');
  t.is(canonicalJson({ a: undefined }, 2), '{}');
  t.is(canonicalJson({ d: new Date(0), m: new Map([[1, 2]]), o: { toJSON: () => 'no', k: 1 } }), '{"d":{},"m":{},"o":{"k":1}}');
  t.throws(() => canonicalJson(undefined), { instanceOf: TypeError });
});

test('the streamed hash is the hash of the compact text, at every stream depth and across chunk boundaries', (t) => {
  const big = { changes: Array.from({ length: 3000 }, (_, i) => ({ id: `n/${i}`, after: { path: `/p/${i}`, content: 'x'.repeat(i % 97) }, dependsOn: [] })), b: 1, a: { z: [1, undefined], y: null } };
  for (const depth of [0, 1, 2, 3]) t.is(canonicalSha256(big, depth), sha256(canonicalJson(big)));
  t.is(sha256(canonicalJson(big)), sha256(String(stringify(big))));
  t.is(canonicalSha256('text'), sha256('"text"'));
});
