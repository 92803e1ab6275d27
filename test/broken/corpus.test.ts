/**
 * The broken-repository corpus: each folder under test/broken is a small site repository with mistakes,
 * and expected.json lists exactly the errors (code, file, line, field) that `underlay validate` must report.
 * Each case is committed into a fresh Git repository first, so the corpus goes through the same path a
 * user's repository does (Git objects, symlinks as Git stores them).
 *
 * A case is an overlay on one shared, valid site, `_base/` (a Site, a node, a module with its template, a
 * cluster): its repository is the base, minus the base files `removes.json` lists, plus the case's own
 * files (new ones, or replacements of base files at the same path). A case holds only what differs: a file
 * identical to the base's fails the suite. To turn a full case folder into an overlay, delete each file
 * that is byte-identical to `_base/` at the same path, and list in `removes.json` each base file the case
 * does not have.
 *
 * expected.json may name the commands to run (`"commands": ["validate", "plan"]`, default validate only):
 * a class that is about planning must also fail `underlay plan` (against empty nodes) with the same
 * diagnostics and exit code. `"planChanges"` lists change ids the plan of a case that passes must contain.
 * Whatever the case, the CLI must not crash: no stack trace, and an exit code of 0, 1 or 2. A diagnostic
 * with `"stage": "resolve"` has a code load also uses, found here only once templates are rendered.
 *
 * Every code of controller/model/diagnostic-codes.ts must be reported by some case run with a command
 * that reports it, unless its entry names the test that produces it instead (`testedIn`).
 *
 * Besides the site files, a case folder holds:
 *   README.md       one line saying what is wrong (not committed into the case's repository)
 *   expected.json   what the CLI must report
 *   removes.json    ["path", ...]: base files the case's repository does not have
 *   symlinks.json   {"path": "target"}: symbolic links to create before committing
 *   generated.json  {"path": bytes}: files too big to commit here, generated before committing
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { loadSpec } from '../../controller/load/load-spec.js';
import { readRevision } from '../../controller/source/git-source.js';
import { DIAGNOSTIC_CODES, diagnosticCodes, type DiagnosticCodeInfo } from '../../controller/model/diagnostic-codes.js';
import type { Diagnostic } from '../../controller/spec/diagnostic.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const BASE = join(here, '_base');
const HARNESS_FILES = new Set(['expected.json', 'removes.json', 'symlinks.json', 'generated.json', 'README.md']);

type Command = 'validate' | 'plan';

interface Expected {
  commands?: Command[];
  exitCode: number;
  diagnostics: ExpectedDiagnostic[];
  warnings?: ExpectedDiagnostic[];
  planChanges?: string[];
}
interface ExpectedDiagnostic {
  code: string;
  file: string;
  line: number;
  field?: string;
  /** Set when a code load also reports comes from resolve here (a rendered path): loadSpec must not report it. */
  stage?: 'resolve';
}

const cases = readdirSync(here, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith('_'))
  .map((e) => e.name)
  .sort();

const scratch = mkdtempSync(join(tmpdir(), 'underlay-broken-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

/** A harness file of a case, parsed; `fallback` when the case has none. */
function harnessFile<T>(name: string, file: string, fallback: T): T {
  const path = join(here, name, file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : fallback;
}

/** The case's own site files (harness files excluded), repository-relative. */
function overlayFiles(name: string): string[] {
  const source = join(here, name);
  return readdirSync(source, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(source, join(e.parentPath, e.name)))
    .filter((path) => !HARNESS_FILES.has(path))
    .sort();
}

/** Builds a case's repository (the base, minus removes.json, plus the overlay) and commits it with the git CLI. */
async function commitCase(name: string): Promise<string> {
  const source = join(here, name);
  const repo = join(scratch, name);
  cpSync(BASE, repo, { recursive: true });
  for (const path of harnessFile<string[]>(name, 'removes.json', [])) rmSync(join(repo, path));
  cpSync(source, repo, { recursive: true, filter: (src) => !(dirname(src) === source && HARNESS_FILES.has(basename(src))) });
  for (const [path, target] of Object.entries(harnessFile<Record<string, string>>(name, 'symlinks.json', {}))) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    symlinkSync(target, join(repo, path));
  }
  for (const [path, bytes] of Object.entries(harnessFile<Record<string, number>>(name, 'generated.json', {}))) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), `# ${'x'.repeat(bytes)}\n`);
  }
  const git = (...args: string[]) => run('git', ['-c', 'user.name=corpus', '-c', 'user.email=corpus@underlay.test', '-c', 'init.defaultBranch=main', ...args], { cwd: repo });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', name);
  return repo;
}

const summary = (ds: readonly Diagnostic[], severity: Diagnostic['severity']): ExpectedDiagnostic[] =>
  ds
    .filter((d) => d.severity === severity)
    .map((d) => ({ code: d.code, file: d.location?.file ?? '', line: d.location?.line ?? 0, ...(d.field ? { field: d.field } : {}) }));

/** Order is the loader's business (and tested there); here only the set must match, exactly. */
const canonical = (ds: readonly ExpectedDiagnostic[]): string[] =>
  ds.map((d) => JSON.stringify([d.file, d.line, d.code, d.field ?? null])).sort();

function check(t: import('ava').ExecutionContext, expected: Expected, diagnostics: readonly Diagnostic[], onlyLoad = false): void {
  const wanted = onlyLoad ? fromLoad(expected) : expected.diagnostics;
  t.deepEqual(canonical(summary(diagnostics, 'error')), canonical(wanted));
  if (expected.warnings) t.deepEqual(canonical(summary(diagnostics, 'warning')), canonical(onlyLoad ? expected.warnings.filter(byLoad) : expected.warnings));
}

const repos = new Map<string, Promise<string>>();
const repoFor = (name: string): Promise<string> => {
  if (!repos.has(name)) repos.set(name, commitCase(name));
  return repos.get(name)!;
};
const expectedFor = (name: string): Expected => JSON.parse(readFileSync(join(here, name, 'expected.json'), 'utf8')) as Expected;

const CODES: Readonly<Record<string, DiagnosticCodeInfo>> = DIAGNOSTIC_CODES;
const stagesOf = (code: string): readonly string[] => CODES[code]?.stages ?? [];

const byLoad = (d: ExpectedDiagnostic): boolean => stagesOf(d.code).includes('load') && d.stage !== 'resolve';
/** What loadSpec alone must report of a case's expected diagnostics: its load codes, unless found by resolve here. */
const fromLoad = (expected: Expected): ExpectedDiagnostic[] => expected.diagnostics.filter(byLoad);

const reportedOf = (expected: Expected): ExpectedDiagnostic[] => [...expected.diagnostics, ...(expected.warnings ?? [])];
const commandsOf = (expected: Expected): Command[] => expected.commands ?? ['validate'];

test('every case is an overlay on _base with a one-line README saying what is wrong', (t) => {
  const problems: string[] = [];
  for (const name of cases) {
    const readme = join(here, name, 'README.md');
    if (!existsSync(readme) || !/^[^\n]+\n?$/.test(readFileSync(readme, 'utf8'))) problems.push(`${name}: README.md is not one line`);
    for (const path of overlayFiles(name)) {
      const inBase = join(BASE, path);
      if (existsSync(inBase) && readFileSync(inBase).equals(readFileSync(join(here, name, path)))) problems.push(`${name}: ${path} is the base's`);
    }
    for (const path of harnessFile<string[]>(name, 'removes.json', [])) {
      if (!existsSync(join(BASE, path))) problems.push(`${name}: removes ${path}, which the base does not have`);
    }
  }
  t.deepEqual(problems, []);
  t.true(cases.length >= 32);
  t.deepEqual(cases.filter((name) => expectedFor(name).planChanges && !expectedFor(name).commands?.includes('plan')), [], 'planChanges needs "plan" in commands');
});

test('each expected code is in the list of codes, reported by the commands its case runs', (t) => {
  const problems: string[] = [];
  for (const name of cases) {
    const expected = expectedFor(name);
    for (const d of reportedOf(expected)) {
      const info = CODES[d.code];
      if (!info) problems.push(`${name}: ${d.code} is not in controller/model/diagnostic-codes.ts`);
      else if (d.stage === 'resolve' && !(info.stages.includes('load') && info.stages.includes('resolve'))) problems.push(`${name}: ${d.code} is not a load code resolve repeats`);
      for (const command of commandsOf(expected)) if (info && !info.commands.includes(command)) problems.push(`${name}: ${command} does not report ${d.code}`);
    }
  }
  t.deepEqual(problems, []);
});

test('every diagnostic code is reported by a case run with a command that reports it, or by the test its entry names', (t) => {
  const commandsReporting = new Map<string, Set<string>>();
  for (const name of cases) {
    const expected = expectedFor(name);
    for (const d of reportedOf(expected)) for (const command of commandsOf(expected)) commandsReporting.set(d.code, (commandsReporting.get(d.code) ?? new Set()).add(command));
  }
  const uncovered: string[] = [];
  for (const code of diagnosticCodes()) {
    const { testedIn, commands } = CODES[code]!;
    const byCase = commands.some((command) => commandsReporting.get(code)?.has(command));
    if (testedIn === undefined && !byCase) uncovered.push(`${code}: no case reports it`);
    if (testedIn !== undefined && byCase) uncovered.push(`${code}: a case reports it, so its entry needs no testedIn`);
    if (testedIn !== undefined && !(existsSync(join(root, testedIn)) && readFileSync(join(root, testedIn), 'utf8').includes(`'${code}'`))) {
      uncovered.push(`${code}: ${testedIn} does not test it`);
    }
  }
  t.deepEqual(uncovered, []);
});

/** Runs the CLI as a user would; a non-zero exit is an outcome to check, not a failure to throw. */
async function underlay(command: Command, repo: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(root, 'bin', 'underlay.js'), command, '--repo', repo, '--output', 'json'], {
    cwd: root,
    env: { ...process.env, UNDERLAY_CACHE_DIR: join(scratch, '.cache') },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(<anonymous>\)|\(native\))$/m;

for (const name of cases) {
  for (const command of expectedFor(name).commands ?? ['validate']) {
    test(`${name}: underlay ${command} reports exactly the expected errors`, async (t) => {
      const expected = expectedFor(name);
      const cli = await underlay(command, await repoFor(name));
      t.false(STACK_FRAME.test(cli.stderr), `a stack trace on stderr:\n${cli.stderr}`);
      t.true([0, 1, 2].includes(cli.code), `exit code ${cli.code}`);
      t.is(cli.code, expected.exitCode, cli.stderr);
      let output: { diagnostics?: Diagnostic[]; changes?: { id: string }[] };
      try {
        output = JSON.parse(cli.stdout) as typeof output;
      } catch {
        t.fail(`${command} --output json printed no JSON; stderr:\n${cli.stderr}`);
        return;
      }
      if (command === 'plan' && output.changes) {
        // A plan is only printed when there were no errors; its warnings are on stderr, not in the plan.
        t.deepEqual(expected.diagnostics, []);
        const ids = new Set(output.changes.map((c) => c.id));
        t.deepEqual((expected.planChanges ?? []).filter((id) => !ids.has(id)), []);
        return;
      }
      check(t, expected, output.diagnostics ?? []);
    });
  }

  test(`${name}: loadSpec on the committed revision agrees`, async (t) => {
    const expected = expectedFor(name);
    const revision = await readRevision({ repo: await repoFor(name), cacheDir: join(scratch, '.cache') });
    const { spec, diagnostics } = loadSpec(revision);
    check(t, expected, diagnostics, true);
    t.is(spec === null, fromLoad(expected).length > 0);
  });
}
