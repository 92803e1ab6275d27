/**
 * Determinism: the same site, written in a different order (files, documents within a file, keys within
 * every mapping), gives a byte-identical plan in every format, and so does planning twice. The variants
 * are generated from a scenario's repository with a seeded shuffle, so a failure is reproducible.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { SnapshotSchema } from '../../controller/inventory/inventory.js';
import { planRevision } from '../../controller/pipeline/plan-revision.js';
import { renderJson } from '../../controller/plan/render-json.js';
import { renderMarkdown } from '../../controller/plan/render-markdown.js';
import { renderText } from '../../controller/plan/render-text.js';
import type { Revision, RevisionFile } from '../../controller/source/revision.js';
import { revisionFromDir } from '../support/revision-from-dir.js';
import { seededRandom as random } from '../support/seeded-random.js';
import { registry } from '../../reconcilers/registry.js';
import type { Inventory } from '../../controller/model/observed.js';

const scenarios = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const SCENARIO = '13-node-added-peers-and-backends-change';

function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function shuffleKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rand));
  if (value === null || typeof value !== 'object') return value;
  const entries = shuffle(Object.entries(value as Record<string, unknown>), rand);
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rand)]));
}

const isDocumentFile = (f: RevisionFile): boolean => /\.ya?ml$/.test(f.path) && !f.path.split('/').includes('templates');

/** Every YAML document of the site, key-shuffled, regrouped into files at random and written in random order. */
function scrambled(revision: Revision, seed: number): Revision {
  const rand = random(seed);
  const decoder = new TextDecoder();
  // Templates are referenced relative to their module document, which moves to the repository root.
  const text = (f: RevisionFile): string => decoder.decode(f.content).replaceAll('../templates/', 'templates/');
  const docs = revision.files.filter(isDocumentFile).flatMap((f) => parseAllDocuments(text(f)).map((d) => d.toJS() as unknown));
  const buckets: string[][] = [[], [], []];
  for (const doc of shuffle(docs, rand)) buckets[Math.floor(rand() * buckets.length)]!.push(stringify(shuffleKeys(doc, rand), { lineWidth: 0 }));
  const documentFiles: RevisionFile[] = buckets
    .filter((b) => b.length > 0)
    .map((b, i) => ({ path: `site-${seed}-${i}.yaml`, type: 'file' as const, content: new TextEncoder().encode(b.join('---\n')) }));
  const others = revision.files.filter((f) => !isDocumentFile(f));
  return { ...revision, files: shuffle([...documentFiles, ...others], rand) };
}

function outputs(revision: Revision, inventory: Inventory): string[] {
  const { plan, diagnostics } = planRevision(revision, inventory, { registry, now: '2025-01-01T00:00:00Z' });
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return [renderJson(plan), renderText(plan, { registry, color: false }), renderMarkdown(plan, { registry }), plan.hash];
}

const inventory = SnapshotSchema.parse(JSON.parse(readFileSync(join(scenarios, SCENARIO, 'inventory.json'), 'utf8')));
const original = revisionFromDir(join(scenarios, SCENARIO, 'repo'));

test('planning twice gives the same bytes', (t) => {
  t.deepEqual(outputs(original, inventory), outputs(original, inventory));
});

test('file, document and key order do not change the plan', (t) => {
  const expected = outputs(original, inventory);
  t.true(JSON.parse(expected[0]!).changes.length > 0, 'the site must plan changes for the comparison to mean anything');
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const variant = scrambled(original, seed);
    t.notDeepEqual(variant.files.map((f) => f.path), original.files.map((f) => f.path));
    t.deepEqual(outputs(variant, inventory), expected, `seed ${seed}`);
  }
});

test('inventory key order does not change the plan', (t) => {
  const shuffled = SnapshotSchema.parse(shuffleKeys(JSON.parse(readFileSync(join(scenarios, SCENARIO, 'inventory.json'), 'utf8')), random(42)));
  t.deepEqual(outputs(original, shuffled), outputs(original, inventory));
});
