import test from 'ava';
import { parseYamlFile } from './yaml-documents.js';

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
