/**
 * The layering, followed through every import (type-only ones too): model <- spec <- load/resolve/plan
 * (pure; they may use the kinds' pure facets and the pure registry) <- observe/apply (and the kinds' effects)
 * <- runtime (the reconcile steps), beside cli (one of its drivers). The pure stages reach no module that does I/O, however indirectly, and no stage imports upward.
 * ESLint's no-restricted-imports (eslint.config.js) says the same per file, where an editor shows it.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** What a module imports: repository paths for relative imports, package names for the rest. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms), ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return specifiers.map((s) => (s.startsWith('.') ? relative(root, resolve(root, dirname(file), s.replace(/\.js$/, '.ts'))) : s));
}

/** Every module reachable from these, with the import chain that reaches it. */
function reachable(roots: readonly string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>(roots.map((r) => [r, [r]]));
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (!file.endsWith('.ts')) continue;
    for (const dep of importsOf(file)) {
      if (seen.has(dep)) continue;
      seen.set(dep, [...seen.get(file)!, dep]);
      queue.push(dep);
    }
  }
  return seen;
}

/** The CA's parts that hold keys, draw randomness or read the secret store; the rest of controller/pki is pure. */
const PKI_KEYS = /^controller\/pki\/(certificate-builder|certificate-authority|certificate-issuer)\.ts$/;
const pkiPure = sources('controller/pki').filter((f) => !PKI_KEYS.test(f));

const PURE = ['controller/model', 'controller/spec', 'controller/load', 'controller/resolve', 'controller/plan', 'controller/inventory', 'controller/pipeline'];
const pureRoots = [...PURE.flatMap(sources), ...pkiPure, 'reconcilers/registry.ts', 'reconcilers/kind.ts'];

/** Packages pure code may use: parsing, templating and hashing, none of which touches the machine. */
const PURE_PACKAGES = new Set(['zod', 'yaml', 'liquidjs', 'ipaddr.js', 'node:crypto']);

// The rollout's planner and simulator are pure (issue 11): apply carries out their intents, on a real clock.
const ROLLOUT_PURE = ['rollout-planner', 'rollout-simulator', 'rollout-state', 'rollout-log', 'gate-output', 'circuit-breaker', 'rollout-control', 'rollback-plan'].map((f) => `controller/rollout/${f}.ts`);

const isEffectful = (m: string): boolean =>
  /^reconcilers\/(.+\/)?effects\.ts$/.test(m) ||
  PKI_KEYS.test(m) ||
  m === 'reconcilers/kind-effects.ts' ||
  /^controller\/(transport|observe|apply|store|cli|secrets|status|runtime|services|targets)\//.test(m) ||
  // The planner is pure, so the plan may use it; the rest of controller/rollout is taken as effectful.
  (/^controller\/rollout\//.test(m) && !ROLLOUT_PURE.includes(m)) ||
  (/^controller\/source\//.test(m) && m !== 'controller/source/revision.ts') ||
  (!m.includes('/') && !PURE_PACKAGES.has(m)) ||
  (m.startsWith('node:') && !PURE_PACKAGES.has(m));

test('the pure stages (spec, load, resolve, plan, inventory) and the kinds\' pure facets reach no I/O', (t) => {
  const reached = reachable(pureRoots);
  const offending = [...reached].filter(([m]) => isEffectful(m)).map(([, chain]) => chain.join(' -> '));
  t.deepEqual(offending, []);
  t.true(reached.has('reconcilers/file/kind.ts'), 'the walk follows the registry into the kinds');
});

test('no stage imports upward', (t) => {
  const rules: [string, RegExp][] = [
    ['controller/model', /^(controller\/(?!model\/)|reconcilers\/)/],
    ['controller/spec', /^controller\/(?!(spec|model)\/)/],
    ['reconcilers', /^controller\/(spec\/(?!primitives\.ts$)|load|resolve|plan|inventory|pipeline|observe|apply|cli|status|runtime)\//],
    ['controller/plan', /^reconcilers\/((.+\/)?effects\.ts|kind-effects\.ts)$/],
    ['controller/targets', /^controller\/(observe|apply|cli|runtime)\//],
    ['controller/observe', /^controller\/(apply|cli|runtime)\//],
    ['controller/services', /^controller\/(observe|apply|cli|runtime)\//],
    ['controller/apply', /^controller\/(cli|runtime)\//],
    ['controller/runtime', /^controller\/(cli|drift|alerts|daemon|server)\//],
    // The store keeps what drift and alerts hand it as the JSON it is: it is below both.
    ['controller/store', /^controller\/(drift|alerts|runtime|cli)\//],
    // Alerts serve every part (drift, apply, sources): below them, above the runtime's backoff only.
    ['controller/alerts', /^controller\/(drift|apply|observe|cli|daemon|server)\//],
    ['controller/drift', /^controller\/(cli|daemon|server)\//],
    ['controller/daemon', /^controller\/server\//],
    ['controller/pki', /^controller\/(load|resolve|plan|inventory|pipeline|observe|apply|cli|status|runtime)\/|^reconcilers\//],
  ];
  const offending: string[] = [];
  for (const [dir, upward] of rules) {
    for (const file of sources(dir)) for (const dep of importsOf(file)) if (upward.test(dep)) offending.push(`${file} -> ${dep}`);
  }
  t.deepEqual(offending, []);
});

// The DNS client's protocol (messages, TSIG, bisecting) is pure and tested without a server; only the client talks.
const DNS_PURE = ['wire', 'tsig', 'update-message', 'bisect-prerequisites', 'tsig-key-file'].map((f) => `controller/services/dns/${f}.ts`);

test('the pure parts of the DNS client reach no I/O', (t) => {
  const offending = [...reachable(DNS_PURE)].filter(([m]) => isEffectful(m) && !DNS_PURE.includes(m) && m !== 'dns-packet').map(([, chain]) => chain.join(' -> '));
  t.deepEqual(offending, []);
});


test('the rollout planner and simulator reach no I/O and read no clock', (t) => {
  const offending = [...reachable(ROLLOUT_PURE)].filter(([m]) => isEffectful(m) && !ROLLOUT_PURE.includes(m)).map(([, chain]) => chain.join(' -> '));
  t.deepEqual(offending, []);
  t.deepEqual(ROLLOUT_PURE.filter((f) => /Date\.now\(|new Date\(|setTimeout|performance\.now/.test(readFileSync(join(root, f), 'utf8'))), []);
});

test('the pure parts of the CA (CSR reading, policy, certificate and CRL bodies, renewal) take randomness and time as values', (t) => {
  t.true(pkiPure.includes('controller/pki/policy.ts'));
  const offending = pkiPure.filter((f) => /\b(randomBytes|randomInt|randomUUID|generateKeyPair(Sync)?|createSign)\b|\bsign\(|Date\.now\(|new Date\(\)/.test(readFileSync(join(root, f), 'utf8')));
  t.deepEqual(offending, []);
});

test('the check sees an effectful import through a chain', (t) => {
  t.true(isEffectful('reconcilers/file/effects.ts'));
  t.true(isEffectful('node:child_process'));
  t.true(isEffectful('ssh2'));
  t.false(isEffectful('reconcilers/file/kind.ts'));
  const chain = reachable(['reconcilers/effects.ts']).get('reconcilers/node-exec.ts');
  t.deepEqual(chain?.slice(0, 2), ['reconcilers/effects.ts', 'reconcilers/certificate/effects.ts']);
});

// The drift assessment is pure (ADR 0024): the check's steps and the store carry its results.
const DRIFT_PURE = ['assess-drift', 'drift-policy', 'drift-side', 'drift-report', 'drift-alerts'].map((f) => `controller/drift/${f}.ts`);
/** Types only: how a reconcile ended, which a report carries. */
const REPORT_TYPES = new Set(['controller/runtime/reconcile-step.ts', 'controller/store/drift-ledger.ts', 'controller/alerts/alert.ts', 'controller/store/incident-store.ts']);

test('the drift assessment reaches no I/O and reads no clock', (t) => {
  const offending = [...reachable(DRIFT_PURE)].filter(([m]) => isEffectful(m) && !REPORT_TYPES.has(m)).map(([, chain]) => chain.join(' -> '));
  t.deepEqual(offending, []);
  t.deepEqual(DRIFT_PURE.filter((f) => /Date\.now\(|new Date\(\)|setTimeout|Math\.random/.test(readFileSync(join(root, f), 'utf8'))), []);
});
