import test from 'ava';
import { YAMLParseError } from 'yaml';
import { parseYamlFile, syntaxDiagnostic } from './yaml-documents.js';
import { MAX_NESTING_DEPTH } from './yaml-nesting.js';

test('syntax errors are reported at their line and column, other documents of the file still parse', (t) => {
  const { documents, diagnostics } = parseYamlFile('x.yaml', 'a: 1\n---\nb: [1,\n---\nc: 3\n');
  t.deepEqual(documents.map((d) => d.value), [{ a: 1 }, { c: 3 }]);
  t.deepEqual(diagnostics.map((d) => [d.code, d.location]), [['YamlSyntax', { file: 'x.yaml', line: 4, column: 1 }]]);
});

test('duplicate keys are refused', (t) => {
  const { diagnostics } = parseYamlFile('x.yaml', 'a: 1\nb: 2\na: 3\n');
  t.deepEqual(diagnostics.map((d) => [d.code, d.location?.line]), [['YamlSyntax', 3]]);
  t.regex(diagnostics[0]!.message, /duplicate key/);
});

test('alias expansion bombs are refused', (t) => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 12; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
  const { documents, diagnostics } = parseYamlFile('bomb.yaml', `${lines.join('\n')}\n`);
  t.deepEqual(documents, []);
  t.is(diagnostics[0]!.code, 'YamlSyntax');
  t.regex(diagnostics[0]!.message, /aliases/);
});

test('empty documents are ignored, non-mapping documents are refused', (t) => {
  const { documents, diagnostics } = parseYamlFile('x.yaml', '# nothing\n---\n- a\n- b\n---\n');
  t.deepEqual(documents, []);
  t.deepEqual(diagnostics.map((d) => [d.code, d.location?.line]), [['SchemaViolation', 3]]);
});

test('locate points at a value, or at the parent key when the field is missing', (t) => {
  const text = 'kind: Node\nspec:\n  ssh:\n    port: 22\n  list:\n    - a\n    - b\n';
  const [doc] = parseYamlFile('n.yaml', text).documents;
  t.deepEqual(doc!.locate(['spec', 'ssh', 'port']), { file: 'n.yaml', line: 4, column: 11 });
  t.deepEqual(doc!.locate(['spec', 'list', 1]), { file: 'n.yaml', line: 7, column: 7 });
  t.deepEqual(doc!.locate(['spec', 'ssh', 'hostKey']), { file: 'n.yaml', line: 3, column: 3 });
  t.deepEqual(doc!.locateKey(['spec', 'ssh', 'port']), { file: 'n.yaml', line: 4, column: 5 });
  t.deepEqual(doc!.locate(['nope', 'deeper']), { file: 'n.yaml', line: 1, column: 1 });
});

const deepCompactSequence = (depth: number): string => `a: 1\n---\nparams:\n  deep:\n    ${'- '.repeat(depth)}x\n---\nc: 3\n`;

test('a value nested past the limit is refused where the limit is passed, and the other documents still load', (t) => {
  const { documents, diagnostics, unreadable } = parseYamlFile('x.yaml', deepCompactSequence(10_000));
  t.deepEqual(documents.map((d) => d.value), [{ a: 1 }, { c: 3 }]);
  // params, deep and 62 sequences make 64 levels; the 63rd "- " (column 5 + 2 * 62) is the 65th.
  t.deepEqual(diagnostics.map((d) => [d.code, d.location]), [['YamlTooDeep', { file: 'x.yaml', line: 5, column: 129 }]]);
  t.deepEqual(unreadable, [{ file: 'x.yaml' }]);
});

test('nesting up to the limit is fine, one level more is not', (t) => {
  t.deepEqual(parseYamlFile('x.yaml', deepCompactSequence(MAX_NESTING_DEPTH - 2)).diagnostics, []);
  t.deepEqual(parseYamlFile('x.yaml', deepCompactSequence(MAX_NESTING_DEPTH - 1)).diagnostics.map((d) => d.code), ['YamlTooDeep']);
});

test('deep flow collections, block mappings and mixtures are refused the same way', (t) => {
  const flow = `a: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
  const flowMap = `a: ${'{a: '.repeat(10_000)}x${'}'.repeat(10_000)}\n`;
  const pairs = `a: ${'[a: '.repeat(5_000)}x${']'.repeat(5_000)}\n`;
  const mapping = Array.from({ length: 3_000 }, (_, i) => `${' '.repeat(i)}k:\n`).join('');
  const mixed = `a:\n${Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(2 * i)}- k: [\n`).join('')}`;
  for (const text of [flow, flowMap, pairs, mapping, mixed]) {
    const { diagnostics } = parseYamlFile('x.yaml', text);
    t.deepEqual(diagnostics.map((d) => d.code), ['YamlTooDeep'], text.slice(0, 40));
  }
  t.deepEqual(parseYamlFile('x.yaml', mapping).diagnostics[0]!.location, { file: 'x.yaml', line: 65, column: 65 });
});

test('what only looks deep is not: block scalars, quoted strings and comments', (t) => {
  const text = `a: |\n  ${'- '.repeat(200)}\n  ${'['.repeat(200)}\nb: "${'['.repeat(200)}"\n# ${'{'.repeat(200)}\nc: '${'- '.repeat(200)}'\n`;
  const { documents, diagnostics } = parseYamlFile('x.yaml', text);
  t.deepEqual(diagnostics, []);
  t.is(documents.length, 1);
});

test('aliases that build a value deeper than the limit, or one that never ends, are refused', (t) => {
  const chain = ['l0: &l0 [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]'];
  for (let i = 1; i < 5; i++) chain.push(`l${i}: &l${i} [[[[[[[[[[[[[[[[[[[[*l${i - 1}]]]]]]]]]]]]]]]]]]]]`);
  const deep = parseYamlFile('x.yaml', `${chain.join('\n')}\n`).diagnostics;
  t.deepEqual(deep.map((d) => [d.code, d.location?.line, d.location?.column]), [['YamlTooDeep', 4, 29]]);
  for (const text of ['a: &a [*a]\n', 'a: &a\n  b:\n    - c: *a\n']) {
    const { documents, diagnostics } = parseYamlFile('x.yaml', text);
    t.deepEqual(documents, []);
    t.deepEqual(diagnostics.map((d) => d.code), ['YamlRecursiveAlias'], text);
  }
  t.deepEqual(parseYamlFile('x.yaml', 'a: &a [1]\nb: [*a, *a]\n').documents[0]!.value, { a: [1], b: [[1], [1]] });
});

test('an unterminated quote is reported where it opens, and nothing is placed past the end of the file', (t) => {
  const quote = (text: string) => parseYamlFile('x.yaml', text).diagnostics.map((d) => [d.code, d.location?.line, d.location?.column]);
  t.deepEqual(quote('a: 1\nb: "abc\n'), [['YamlSyntax', 2, 4]]);
  t.deepEqual(quote("a: 1\nb: 'it''s\nc: 2\n\n"), [['YamlSyntax', 2, 4]]);
  t.deepEqual(quote('a: 1\nb: "abc'), [['YamlSyntax', 2, 4]]);
  // An error at the end of the text is placed after the last thing written, not on a line after it.
  t.deepEqual(quote('a: [1,\n\n\n'), [['YamlSyntax', 1, 7]]);
});

test('a document that does not parse is named as far as it can be read', (t) => {
  const { unreadable } = parseYamlFile('site.yaml', 'kind: Site\nmetadata:\n  name: lab\nspec:\n  params: [a,\n---\n- [\n');
  t.deepEqual(unreadable, [{ file: 'site.yaml', kind: 'Site', name: 'lab' }, { file: 'site.yaml' }]);
});

test('a position inside a string value is placed where it is written, whatever the scalar style', (t) => {
  const text = [
    'literal: |-', //          1
    '  first', //              2
    '    {{ x }}', //          3
    'folded: >', //            4
    '  one', //                5
    '  two {{ y }}', //        6
    '', //                     7
    '  three {{ z }}', //      8
    'quoted: "a {{ q }}"', //  9
    'plain: p {{ r }}', //    10
    '  more {{ s }}', //      11
    'escaped: "\\t{{ e }}"', // 12
    'indented: |2', //        13
    '    {{ i }}', //         14
    '',
  ].join('\n');
  const [doc] = parseYamlFile('m.yaml', text).documents;
  const at = (field: string, line: number, column: number) => {
    const { line: l, column: c } = doc!.locate([field], { line, column });
    return [l, c];
  };
  t.deepEqual(at('literal', 1, 1), [2, 3]);
  t.deepEqual(at('literal', 2, 6), [3, 8]);
  // Folded: "one two {{ y }}\nthree {{ z }}\n".
  t.deepEqual(at('folded', 1, 9), [6, 7]);
  t.deepEqual(at('folded', 2, 7), [8, 9]);
  t.deepEqual(at('quoted', 1, 3), [9, 12]);
  // Plain, folded: "p {{ r }} more {{ s }}".
  t.deepEqual(at('plain', 1, 16), [11, 8]);
  t.deepEqual(at('indented', 1, 3), [14, 5]);
  // An escape sequence makes the value differ from its text: the field is as near as it can be told.
  t.deepEqual(at('escaped', 1, 2), [12, 10]);
  // A position the value does not have is the field too.
  t.deepEqual(at('literal', 9, 1), [1, 10]);
});

test('positions after a malformed multi-line token stay on their own line', (t) => {
  // The parser does not report the line break inside the stray "underlay.dev/v1alpha1\n  roles" token.
  const text = '  address: 10.0.0.1\nkind: Node\nspec:\napiVersion: underlay.dev/v1alpha1\n  roles: [etcd, lb]\n  ssh:\n    port: 22\n';
  const lines = text.split('\n');
  const { diagnostics } = parseYamlFile('n.yaml', text);
  t.true(diagnostics.length > 0);
  for (const d of diagnostics) t.true(d.location!.column <= lines[d.location!.line - 1]!.length + 1, `${d.message} at ${d.location!.line}:${d.location!.column}`);
  t.true(diagnostics.some((d) => d.location!.line === 6 && d.message.includes('"ssh"')));
});

test('keys are strings: a collection as a key is refused, and 1 and "1" are the same key', (t) => {
  const codes = (text: string) => parseYamlFile('x.yaml', text).diagnostics.map((d) => [d.code, d.location?.line, d.message]);
  t.deepEqual(codes('a: 1\n? [b]\n: c\n'), [['YamlSyntax', 2, 'a mapping key must be a plain string, not a list, a mapping or a tagged value']]);
  t.deepEqual(codes('a: {[b]: c}\n'), [['YamlSyntax', 1, 'a mapping key must be a plain string, not a list, a mapping or a tagged value']]);
  t.deepEqual(codes('80: a\n"80": b\n'), [['YamlSyntax', 2, 'duplicate key: a mapping must not repeat a key']]);
  t.deepEqual(parseYamlFile('x.yaml', '80: a\ntrue: b\n').documents[0]!.value, { 80: 'a', true: 'b' });
});

test('a stack overflow that yaml reports as an error is a nesting limit, not a YAML message', (t) => {
  // What yaml's composer reports when the stack runs out under it (compose-node.js catches the RangeError).
  const error = new YAMLParseError([5, 6], 'RESOURCE_EXHAUSTION', 'Maximum call stack size exceeded');
  const d = syntaxDiagnostic(error, (offset) => ({ file: 'x.yaml', line: 1, column: offset + 1 }), 'a: [[[[[[\n');
  t.like(d, { code: 'YamlTooDeep', location: { file: 'x.yaml', line: 1, column: 6 } });
  t.notRegex(d.message, /call stack/);
});

test('after a refused deep document, the next one is read and placed as written', (t) => {
  const text = `a: |\n  x\n${'- '.repeat(100)}y\n---\nb: [1,\n    2\n  c: d\n`;
  const { diagnostics } = parseYamlFile('x.yaml', text);
  const plain = parseYamlFile('x.yaml', text.slice(text.indexOf('---'))).diagnostics;
  t.true(plain.length > 0);
  t.deepEqual(diagnostics.map((d) => d.code), ['YamlTooDeep', ...plain.map((d) => d.code)]);
  t.deepEqual(diagnostics.slice(1).map((d) => [d.location!.line - 3, d.location!.column]), plain.map((d) => [d.location!.line, d.location!.column]));
});
