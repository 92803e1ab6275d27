import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { renderCrds, renderSiteJsonSchema, siteJsonSchema } from './json-schema.js';
import { KINDS } from './schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const regenerate = 'regenerate with: npx tsx scripts/write-json-schema.ts';

test('docs/site.schema.json is what the zod model generates', (t) => {
  t.is(readFileSync(join(root, 'docs', 'site.schema.json'), 'utf8'), renderSiteJsonSchema(), regenerate);
});

test('crds/ holds exactly the generated CRDs', (t) => {
  const generated = renderCrds();
  t.deepEqual(readdirSync(join(root, 'crds')).sort(), Object.keys(generated).sort(), regenerate);
  for (const [file, text] of Object.entries(generated)) t.is(readFileSync(join(root, 'crds', file), 'utf8'), text, `${file}: ${regenerate}`);
});

test('the JSON Schema has one alternative per kind, told apart by kind', (t) => {
  const schema = siteJsonSchema() as { oneOf: { properties: { kind: { const: string } } }[] };
  t.deepEqual(schema.oneOf.map((s) => s.properties.kind.const), KINDS);
});

test('CRDs are structural: no references or combinators Kubernetes would refuse', (t) => {
  for (const [file, text] of Object.entries(renderCrds())) {
    const crd = parse(text) as { spec: { group: string; versions: { name: string }[] } };
    t.is(crd.spec.group, 'underlay.dev', file);
    t.is(crd.spec.versions[0]!.name, 'v1alpha1', file);
    t.notRegex(text, /\$ref|anyOf|oneOf|allOf|additionalProperties: false/, file);
  }
});
