import test from 'ava';
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import { canonicalSha256 } from './canonical-hash.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';

const stringify = configure({ deterministic: true, bigint: false, circularValue: TypeError });

/** A small deterministic generator of awkward JSON-ish values: every branch of both serialisers. */
function* values(): Generator<unknown> {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const keys = ['a', 'b', 'B', '10', '9', '', 'é', 'z\u0000', 'constructor', 'toString', 'path', 'content', 'Z'];
  const leaf = (): unknown => [null, undefined, true, false, 0, -0, 1.5, NaN, Infinity, 'x', 'é"\\\n\u0001', () => 1, Symbol('s')][next(13)];
  const build = (depth: number): unknown => {
    if (depth === 0 || next(3) === 0) return leaf();
    if (next(2) === 0) return Array.from({ length: next(4) }, () => build(depth - 1));
    const o: Record<string, unknown> = next(5) === 0 ? (Object.create(null) as Record<string, unknown>) : {};
    for (let i = next(6); i > 0; i--) o[keys[next(keys.length)]!] = build(depth - 1);
    return o;
  };
  for (let i = 0; i < 2000; i++) yield build(4);
  yield { d: new Date(0), m: new Map([[1, 2]]), s: new String('ab'), n: 2n } as unknown;
  yield JSON.parse('{"__proto__": {"x": 1}, "a": {"b": 1}}') as unknown;
  yield Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, { [`v${i % 7}`]: i }]));
  yield { a: { toJSON: () => 'nope', b: 1 } };
}

/** The plain JS serialiser canonicalJson had before its native fast path: the bytes every plan hash was made of. */
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

test('canonical JSON keeps its bytes, whichever path writes them; on plain data they are safe-stable-stringify\'s', (t) => {
  let n = 0;
  for (const value of values()) {
    if (typeof value !== 'object' || value === null) continue;
    t.is(canonicalJson(value), String(reference(value)));
    const plain = !('d' in value) && !(typeof (value as { a?: { toJSON?: unknown } }).a?.toJSON === 'function');
    if (plain) t.is(canonicalJson(value), String(stringify(value)));
    n++;
  }
  t.true(n > 500);
});

test('the streamed hash is the hash of the canonical JSON, across chunk boundaries', (t) => {
  const big = { changes: Array.from({ length: 3000 }, (_, i) => ({ id: `n/${i}`, after: { content: 'x'.repeat(i % 97), path: `/p/${i}` }, dependsOn: [] })), b: 1, a: { z: [1], y: null } };
  for (const depth of [0, 1, 2, 3]) t.is(canonicalSha256(big, depth), sha256Hex(canonicalJson(big)));
  t.is(sha256Hex(canonicalJson(big)), createHash('sha256').update(String(stringify(big))).digest('hex'));
});
