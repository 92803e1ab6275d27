/**
 * The broken-repository corpus: each folder under test/broken is a small site repository with mistakes,
 * and expected.json lists exactly the errors (code, file, line, field) that `underlay validate` must report.
 * Each case is committed into a fresh Git repository first, so the corpus goes through the same path a
 * user's repository does (Git objects, symlinks as Git stores them).
 *
 * expected.json may name the commands to run (`"commands": ["validate", "plan"]`, default validate only):
 * a class that is about planning must also fail `underlay plan` (against empty nodes) with the same
 * diagnostics and exit code. `"planChanges"` lists change ids the plan of a case that passes must contain.
 * Whatever the case, the CLI must not crash: no stack trace, and an exit code of 0, 1 or 2. A diagnostic
 * with `"stage": "resolve"` has a code load also uses, found here only once templates are rendered.
 *
 * Besides the site files, a case folder may hold:
 *   README.md       one line saying what is wrong (not committed into the case's repository)
 *   symlinks.json   {"path": "target"}: symbolic links to create before committing
 *   generated.json  {"path": bytes}: files too big to commit here, generated before committing
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { loadSpec } from '../../controller/load/load-spec.js';
import { readRevision } from '../../controller/source/git-source.js';
import type { Diagnostic } from '../../controller/spec/diagnostic.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const HARNESS_FILES = new Set(['expected.json', 'symlinks.json', 'generated.json', 'README.md']);

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
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const scratch = mkdtempSync(join(tmpdir(), 'underlay-broken-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

/** Copies a case into a new Git repository and commits it with the git CLI. */
async function commitCase(name: string): Promise<string> {
  const source = join(here, name);
  const repo = join(scratch, name);
  cpSync(source, repo, { recursive: true, filter: (src) => !(dirname(src) === source && HARNESS_FILES.has(src.slice(source.length + 1))) });
  const extra = (file: string): Record<string, string | number> =>
    existsSync(join(source, file)) ? (JSON.parse(readFileSync(join(source, file), 'utf8')) as Record<string, string | number>) : {};
  for (const [path, target] of Object.entries(extra('symlinks.json'))) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    symlinkSync(String(target), join(repo, path));
  }
  for (const [path, bytes] of Object.entries(extra('generated.json'))) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), `# ${'x'.repeat(Number(bytes))}\n`);
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
  if (expected.warnings) t.deepEqual(canonical(summary(diagnostics, 'warning')), canonical(expected.warnings));
}

const repos = new Map<string, Promise<string>>();
const repoFor = (name: string): Promise<string> => {
  if (!repos.has(name)) repos.set(name, commitCase(name));
  return repos.get(name)!;
};
const expectedFor = (name: string): Expected => JSON.parse(readFileSync(join(here, name, 'expected.json'), 'utf8')) as Expected;

/** What load reports; other expected codes (UnsafeShellValue, ...) come from resolve, through the CLI. */
const LOAD_CODES = new Set(['YamlSyntax', 'YamlTooDeep', 'YamlRecursiveAlias', 'SchemaViolation', 'UnknownApiVersion', 'UnknownKind', 'DuplicateName', 'MultipleSites', 'DanglingReference', 'UnknownInput',
  'MissingInput', 'TemplateNotFound', 'StepCycle', 'SelectorMatchesNothing', 'PathOutsideAllowedRoots', 'PathTraversal', 'OverlappingPools', 'DuplicateResource',
  'PrivateKeyMaterial', 'SymlinkOutsideRepository', 'FileTooLarge', 'InvalidUtf8', 'PoolAddressOutsideCidr', 'PoolAddressFamilyMismatch', 'PoolRangeReversed', 'BastionCycle', 'InvalidHostKey', 'DuplicateHostKey', 'DuplicateNodeAddress', 'RevisionTooLarge']);

/** What loadSpec alone must report of a case's expected diagnostics. */
const fromLoad = (expected: Expected): ExpectedDiagnostic[] => expected.diagnostics.filter((d) => LOAD_CODES.has(d.code) && d.stage !== 'resolve');

test('the corpus covers every load diagnostic code', (t) => {
  const covered = new Set(cases.flatMap((name) => [...expectedFor(name).diagnostics, ...(expectedFor(name).warnings ?? [])].filter((d) => d.stage !== 'resolve').map((d) => d.code)));
  t.deepEqual([...LOAD_CODES].filter((c) => !covered.has(c)), []);
  t.true(cases.length >= 32);
  t.deepEqual(cases.filter((name) => expectedFor(name).planChanges && !expectedFor(name).commands?.includes('plan')), [], 'planChanges needs "plan" in commands');
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
