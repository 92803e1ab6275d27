/**
 * Whatever a repository holds, `underlay validate` stays within a memory bound: huge blobs are refused from
 * their object headers, never inflated, and template renders stop at their counted budget. Measured on the
 * real CLI as a child process, whose own peak RSS a preloaded hook reports at exit. Peak memory is
 * deterministic enough to assert generously; the times are only logged.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'underlay-bounds-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

const MAX_RSS_MB = 300;
const PEAK_HOOK = join(scratch, 'peak.cjs');
writeFileSync(PEAK_HOOK, "process.on('exit', () => require('node:fs').writeFileSync(process.env.UNDERLAY_PEAK_FILE, String(process.resourceUsage().maxRSS)));\n");

const site = {
  'site.yaml': 'apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata:\n  name: lab\nspec: {}\n',
  'nodes/n1.yaml': `apiVersion: underlay.dev/v1alpha1
kind: Node
metadata:
  name: n1
  labels: {site: lab}
spec:
  address: 10.0.0.11
  ssh:
    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm3cLBpVn2YtrK0FCkD8XNOHQzZp4b4rR9Zgk5p2Wc1
`,
  'clusters/lab.yaml': `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: lab
spec:
  nodes:
    matchLabels: {site: lab}
  steps:
    - name: peers
      module: peers
`,
};

const git = (repo: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=bounds', '-c', 'user.email=bounds@underlay.test', '-c', 'init.defaultBranch=main', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });

function repoWith(name: string, files: Record<string, string>): string {
  const repo = join(scratch, name);
  for (const [path, text] of Object.entries({ ...site, ...files })) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', name);
  return repo;
}

interface Validated {
  exitCode: number;
  codes: string[];
  peakMb: number;
  ms: number;
}

async function validate(repo: string): Promise<Validated> {
  const peakFile = join(scratch, `peak-${Date.now()}-${Math.random()}`);
  const start = performance.now();
  const out = await run(process.execPath, ['--require', PEAK_HOOK, join(root, 'bin', 'underlay.js'), 'validate', '--repo', repo, '--output', 'json'], {
    cwd: root,
    env: { ...process.env, UNDERLAY_PEAK_FILE: peakFile },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  const ms = performance.now() - start;
  const { diagnostics } = JSON.parse(out.stdout) as { diagnostics: { code: string }[] };
  return { exitCode: out.code, codes: diagnostics.map((d) => d.code), peakMb: Number(readFileSync(peakFile, 'utf8')) / 1024, ms };
}

const module = (resources: string) => `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: peers
spec:
  resources:
${resources}`;

test.serial('a 200 MiB file is refused from its object header, loose or in an uncompressed pack, without being inflated', async (t) => {
  const repo = repoWith('huge-blob', { 'modules/peers.yaml': module('    - file: {path: /etc/peers, content: "x"}\n') });
  execFileSync('truncate', ['-s', '200M', join(repo, 'nodes', 'zeros.yaml')]);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'zeros');
  const loose = await validate(repo);
  t.deepEqual([loose.exitCode, loose.codes], [1, ['FileTooLarge']]);
  // Stored, not deflated: the pack is as large as the blob, and reading any object from it must not load it.
  git(repo, '-c', 'pack.compression=0', 'repack', '-adfq', '--window=0');
  rmSync(join(repo, 'nodes', 'zeros.yaml'));
  const packed = await validate(repo);
  t.deepEqual([packed.exitCode, packed.codes], [1, ['FileTooLarge']]);
  t.log(`200 MiB blob: loose ${loose.peakMb.toFixed(0)} MB in ${loose.ms.toFixed(0)} ms, packed uncompressed ${packed.peakMb.toFixed(0)} MB in ${packed.ms.toFixed(0)} ms`);
  t.true(loose.peakMb < MAX_RSS_MB, `${loose.peakMb} MB`);
  t.true(packed.peakMb < MAX_RSS_MB, `${packed.peakMb} MB`);
});

test.serial('nested loops are refused by the render budget, naming the template, within the memory bound', async (t) => {
  const repo = repoWith('nested-loops', {
    'modules/peers.yaml': module('    - file: {path: /etc/peers, template: ../templates/peers.liquid}\n'),
    'templates/peers.liquid': '{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}{{ a }}{{ b }}{{ c }}\n{% endfor %}{% endfor %}{% endfor %}',
  });
  const out = await validate(repo);
  t.deepEqual([out.exitCode, out.codes], [1, ['TemplateBudgetExceeded']]);
  t.log(`nested loops: refused in ${out.ms.toFixed(0)} ms (whole CLI run), peak ${out.peakMb.toFixed(0)} MB`);
  t.true(out.peakMb < MAX_RSS_MB, `${out.peakMb} MB`);
});
