/**
 * Fuzz-style: random mutations of the example sites (truncations, byte flips, deep nesting, huge scalars,
 * duplicated documents, odd unicode, shifted indentation, stray YAML tokens) go through load, resolve and plan
 * in-process. Every outcome must be diagnostics or a valid plan, never a throw, and every diagnostic must carry
 * a stable code and point inside the file it names.
 *
 * The run is bounded by an iteration count, not by time, so it is the same on any machine: the default seed
 * is what CI runs. UNDERLAY_FUZZ_SEED=<n> explores another sequence and UNDERLAY_FUZZ_ITERATIONS=<n> a longer
 * one; a failure names the seed and the iteration, which replays it.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { emptyInventory } from '../../controller/model/observed.js';
import { MAX_NESTING_DEPTH } from '../../controller/load/yaml-nesting.js';
import { planRevision } from '../../controller/pipeline/plan-revision.js';
import { renderJson } from '../../controller/plan/render-json.js';
import { renderMarkdown } from '../../controller/plan/render-markdown.js';
import { renderText } from '../../controller/plan/render-text.js';
import type { Revision, RevisionFile } from '../../controller/source/revision.js';
import { hasErrors, type Diagnostic } from '../../controller/spec/diagnostic.js';
import { revisionFromDir } from '../support/revision-from-dir.js';
import { seededRandom } from '../support/seeded-random.js';
import { registry } from '../../reconcilers/registry.js';

const SEED = Number(process.env.UNDERLAY_FUZZ_SEED ?? 20261201);
/** About 7 s of CPU (some 30 s on a 2-core machine shared with others). */
const ITERATIONS = Number(process.env.UNDERLAY_FUZZ_ITERATIONS ?? 1000);

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const EXAMPLES = ['three-node-etcd', 'systemd-node', 'module-swap'].map((name) => revisionFromDir(join(examplesDir, name), { source: name }));
const NOW = '2025-01-01T00:00:00Z';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Random = () => number;
const below = (rand: Random, n: number): number => Math.floor(rand() * n);
const pick = <T>(rand: Random, items: readonly T[]): T => items[below(rand, items.length)]!;

/** Depths around the limit, and far past it: where an off-by-one or an unbounded recursion would show. */
const DEPTHS = [2, 10, MAX_NESTING_DEPTH - 3, MAX_NESTING_DEPTH - 1, MAX_NESTING_DEPTH, MAX_NESTING_DEPTH + 1, 100, 1_000, 10_000];

function nested(rand: Random, depth: number, indent: string): string {
  switch (below(rand, 5)) {
    case 0:
      return `\n${indent}  ${'- '.repeat(depth)}x`;
    case 1:
      return `${'['.repeat(depth)}x${']'.repeat(depth)}`;
    case 2:
      return `${'{a: '.repeat(depth)}x${'}'.repeat(depth)}`;
    case 3:
      return `${'[k: '.repeat(depth)}x${']'.repeat(depth)}`;
    default:
      return Array.from({ length: depth }, (_, i) => `\n${indent}${' '.repeat(2 * (i + 1))}k${i}:`).join('') + ' x';
  }
}

const lines = (text: string): string[] => text.split('\n');
const lineStarts = (text: string): number[] => [0, ...[...text.matchAll(/\n/g)].map((m) => m.index + 1)];

type TextMutation = (rand: Random, text: string) => string;

const ODD_CHARACTERS = ['\u0000', '\uFEFF', '\u202E', '\uD800', '\u00E9', '\u{1F600}', '\t', '\r', '\u2028', '\u0085', '\\', '\u00A0'];
const YAML_TOKENS = ['&a ', '*a', '!!binary ', '!!str ', '!local ', '? ', '|', '>-', '\n---\n', '\n...\n', '%YAML 1.1\n', '<<: *a\n', '{', '}', '[', ']', ', ', ': ', ' #', '"', "'", '@', '`', '&a [*a]', '- ',
  '!!omap ', '!!set ', '!!binary ', '!!timestamp ', '.nan', '1e400'];
/** Template syntax, so errors inside inline templates and template files are placed too. */
const LIQUID_TOKENS = ['{{', '}}', '{%', '%}', '{{ nope }}', '{% if x %}', '{{ inputs.x | nofilter }}', '{% raw %}', '{%- for i in (1..3) -%}', '{{ node.name | append }}'];

const TEXT_MUTATIONS: Record<string, TextMutation> = {
  truncate: (rand, text) => text.slice(0, below(rand, text.length + 1)),
  deepValue: (rand, text) => {
    const all = lines(text);
    const at = below(rand, all.length + 1);
    const indent = ' '.repeat(2 * below(rand, 4));
    all.splice(at, 0, `${indent}fuzz: ${nested(rand, pick(rand, DEPTHS), indent)}`);
    return all.join('\n');
  },
  replaceValue: (rand, text) => {
    // A value after "key: " becomes something deep, huge or aliased.
    const values = [...text.matchAll(/: ([^\n]+)/g)];
    if (values.length === 0) return text;
    const m = pick(rand, values);
    const start = m.index + 2;
    const replacement = pick(rand, [
      () => nested(rand, pick(rand, DEPTHS), ''),
      () => 'x'.repeat(pick(rand, [1_000, 100_000, 600_000])),
      () => `"${'y'.repeat(pick(rand, [1_000, 100_000]))}"`,
      () => `&loop [a, *loop]`,
      () => `*nowhere`,
    ])();
    return text.slice(0, start) + replacement + text.slice(start + m[1]!.length);
  },
  duplicateDocuments: (rand, text) => `${text}\n---\n${text.slice(0, below(rand, text.length + 1))}`,
  oddCharacters: (rand, text) => {
    const at = below(rand, text.length + 1);
    return text.slice(0, at) + pick(rand, ODD_CHARACTERS).repeat(1 + below(rand, 3)) + text.slice(at);
  },
  yamlToken: (rand, text) => {
    const at = below(rand, text.length + 1);
    return text.slice(0, at) + pick(rand, YAML_TOKENS) + text.slice(at);
  },
  liquidToken: (rand, text) => {
    // Next to an existing template, where a change is most likely still inside a string value.
    const near = [...text.matchAll(/\{\{|\{%/g)];
    const at = near.length > 0 ? pick(rand, near).index + below(rand, 12) : below(rand, text.length + 1);
    return text.slice(0, at) + pick(rand, LIQUID_TOKENS) + text.slice(at);
  },
  indentation: (rand, text) => {
    const all = lines(text);
    const i = below(rand, all.length);
    const line = all[i]!;
    const body = line.trimStart();
    const indent = line.length - body.length;
    all[i] = pick(rand, [
      () => ' '.repeat(Math.max(0, indent + pick(rand, [-4, -2, -1, 1, 2, 4]))) + body,
      () => `\t${body}`,
      () => all[Math.min(all.length - 1, i + 1)]!,
      () => '',
    ])();
    return all.join('\n');
  },
  swapLines: (rand, text) => {
    const all = lines(text);
    const i = below(rand, all.length);
    const j = below(rand, all.length);
    [all[i], all[j]] = [all[j]!, all[i]!];
    return all.join('\n');
  },
};

/** Byte flips work below the text, so they can also make invalid UTF-8. */
function flipBytes(rand: Random, content: Uint8Array): Uint8Array {
  const out = new Uint8Array(content);
  for (let n = 1 + below(rand, 8); n > 0 && out.length > 0; n--) out[below(rand, out.length)] = below(rand, 256);
  return out;
}

interface Mutated {
  revision: Revision;
  label: string;
}

function mutate(rand: Random, base: Revision): Mutated {
  const files = [...base.files];
  const applied: string[] = [];
  for (let n = 1 + below(rand, 3); n > 0; n--) {
    // Mostly site documents, sometimes the templates they name.
    const yaml = files.map((f, i) => [f, i] as const).filter(([f]) => /\.ya?ml$/.test(f.path));
    const others = files.map((f, i) => [f, i] as const).filter(([f]) => f.path.split('/').includes('templates') && f.type !== 'symlink');
    const [file, index] = rand() < 0.8 || others.length === 0 ? pick(rand, yaml) : pick(rand, others);
    const name = rand() < 0.15 ? 'flipBytes' : pick(rand, Object.keys(TEXT_MUTATIONS));
    const content = name === 'flipBytes' ? flipBytes(rand, file.content) : encoder.encode(TEXT_MUTATIONS[name]!(rand, decoder.decode(file.content)));
    files[index] = { ...file, content } satisfies RevisionFile;
    applied.push(`${name}(${file.path})`);
  }
  return { revision: { ...base, files }, label: applied.join(' + ') };
}

interface Outcome {
  /** What is wrong with the outcome; empty when it is sound. */
  problems: string[];
  refused: boolean;
}

function outcomeOf(revision: Revision): Outcome {
  let result: ReturnType<typeof planRevision>;
  try {
    result = planAndRender(revision);
  } catch (error) {
    return { problems: [`threw: ${error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 4).join(' | ') : String(error)}`], refused: true };
  }
  const problems: string[] = [];
  const errors = hasErrors(result.diagnostics);
  if (result.plan === null && !errors) problems.push('no plan, and no error to say why');
  if (result.plan !== null && errors) problems.push('a plan despite errors');
  const texts = new Map(revision.files.map((f) => [f.path, decoder.decode(f.content)]));
  for (const d of result.diagnostics) problems.push(...diagnosticProblems(d, texts));
  return { problems, refused: errors };
}

/** What a plan is shown as is part of the outcome: canonical JSON, text and Markdown. */
function planAndRender(revision: Revision): ReturnType<typeof planRevision> {
  const result = planRevision(revision, emptyInventory(), { registry, now: NOW });
  if (result.plan) {
    renderJson(result.plan);
    renderText(result.plan, { registry, color: false });
    renderMarkdown(result.plan, { registry });
  }
  return result;
}

/** A diagnostic is sound when its code is stable, its message is not an internal error, and it points inside its file. */
function diagnosticProblems(d: Diagnostic, texts: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  if (!/^[A-Z][A-Za-z0-9]+$/.test(d.code)) problems.push(`unstable code ${JSON.stringify(d.code)}`);
  if (/Maximum call stack|RangeError|TypeError|is not a function|Cannot read propert/.test(d.message)) problems.push(`an internal error as a message: ${d.code}: ${d.message.slice(0, 120)}`);
  const where = d.location;
  const text = where ? texts.get(where.file) : undefined;
  if (!where || text === undefined) return problems;
  const starts = lineStarts(text);
  const lastLine = text.endsWith('\n') && starts.length > 1 ? starts.length - 1 : starts.length;
  const lineLength = (starts[where.line] ?? text.length + 1) - 1 - (starts[where.line - 1] ?? 0);
  if (where.line < 1 || where.line > Math.max(1, lastLine) || where.column < 1 || where.column > lineLength + 1) {
    problems.push(`${d.code} placed outside ${where.file} (${where.line}:${where.column}; the file has ${lastLine} lines)`);
  }
  return problems;
}

function expectSound(t: ExecutionContext, revision: Revision, label: string): void {
  t.deepEqual(outcomeOf(revision).problems, [], label);
}

const example = EXAMPLES[0]!;
/** The three-node example with one file's text changed. */
function withFile(path: string, change: (text: string) => string): Revision {
  const files = example.files.map((f) => (f.path === path ? { ...f, content: encoder.encode(change(decoder.decode(f.content))) } : f));
  return { ...example, files };
}
const codesOf = (revision: Revision): string[] => [...new Set(planRevision(revision, emptyInventory(), { registry, now: NOW }).diagnostics.map((d) => d.code))];

test('the unmutated examples plan without errors (the baseline the mutations start from)', (t) => {
  for (const revision of EXAMPLES) {
    const result = planRevision(revision, emptyInventory(), { registry, now: NOW });
    t.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), [], revision.source);
    t.not(result.plan, null);
  }
});

test('regression: a param nested 10,000 deep as compact block sequences is a diagnostic, not a stack overflow', (t) => {
  const revision = withFile('site.yaml', (s) => s.replace('  params:\n', `  params:\n    layers:\n      ${'- '.repeat(10_000)}x\n`));
  expectSound(t, revision, 'compact sequence');
  t.deepEqual(codesOf(revision), ['YamlTooDeep']);
});

test('regression: deep flow nesting and an alias inside its own anchor are diagnostics, not crashes', (t) => {
  const flow = withFile('cluster.yaml', (s) => s.replace('motd: {param: motd}', `motd: ${'['.repeat(10_000)}${']'.repeat(10_000)}`));
  const recursive = withFile('cluster.yaml', (s) => s.replace('motd: {param: motd}', 'motd: &m [hello, *m]'));
  for (const [revision, code] of [[flow, 'YamlTooDeep'], [recursive, 'YamlRecursiveAlias']] as const) {
    expectSound(t, revision, code);
    t.deepEqual(codesOf(revision), [code]);
  }
});

test('regression: the deepest value load allows goes through resolve, rendering and plan hashing', (t) => {
  // base's motd becomes a list input; the site's motd a list that brings its document to exactly the limit.
  const levels = MAX_NESTING_DEPTH - 3;
  const site = (s: string) => s.replace(/ {4}motd: .*\n/, `    motd: ${'['.repeat(levels)}x${']'.repeat(levels)}\n`);
  const revision = withFile('modules/base.yaml', (s) => s.replace('type: string\n      description: Text of the login banner.', 'type: list'));
  const both: Revision = { ...revision, files: revision.files.map((f) => (f.path === 'site.yaml' ? { ...f, content: encoder.encode(site(decoder.decode(f.content))) } : f)) };
  const result = planRevision(both, emptyInventory(), { registry, now: NOW });
  t.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
  t.not(result.plan, null);
  const oneDeeper = { ...both, files: both.files.map((f) => (f.path === 'site.yaml' ? { ...f, content: encoder.encode(decoder.decode(f.content).replace('[x]', '[[x]]')) } : f)) };
  t.deepEqual(codesOf(oneDeeper), ['YamlTooDeep']);
});

test('regression: an unclosed quote on the last line is placed inside the file', (t) => {
  const revision = withFile('site.yaml', (s) => `${s}  note: "never closed\n`);
  expectSound(t, revision, 'unclosed quote');
  t.deepEqual(codesOf(revision), ['YamlSyntax']);
});

test(`random mutations of the examples: diagnostics or a valid plan, never a throw (seed ${SEED}, ${ITERATIONS} iterations)`, (t) => {
  t.log(`seed ${SEED}; replay with UNDERLAY_FUZZ_SEED=${SEED}`);
  const rand = seededRandom(SEED);
  const failures: string[] = [];
  const outcomes = { refused: 0, planned: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    const { revision, label } = mutate(rand, pick(rand, EXAMPLES));
    const { problems, refused } = outcomeOf(revision);
    if (problems.length > 0) failures.push(`iteration ${i} [${revision.source}] ${label}: ${problems.join('; ')}`);
    else if (refused) outcomes.refused++;
    else outcomes.planned++;
  }
  t.log(`${outcomes.refused} refused with diagnostics, ${outcomes.planned} planned`);
  t.deepEqual(failures.slice(0, 10), [], `seed ${SEED}: ${failures.length} of ${ITERATIONS} inputs went wrong`);
});
