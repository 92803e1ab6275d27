/**
 * A site repository is data: nothing in it may run when the CLI is started inside it, which is the
 * documented default (`--repo` is the current directory). This one commits everything that could make a
 * Node.js tool run its code: a tsconfig.json whose `paths` redirect underlay's imports (what tsx read when
 * bin/ registered it at run time), a package.json with `imports`/`exports`/`main`/`type`, an .npmrc with
 * `node-options`, a node_modules/ with fake packages of every name underlay imports, and Git config that
 * runs a program (fsmonitor, sshCommand, filters). Every payload writes a marker file; every command runs
 * through bin/underlay.js as a child process with the repository as its working directory, and no marker
 * may appear. Exit codes stay 0, 1 or 2, and no stack trace is printed.
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'underlay.js');
const work = mkdtempSync(path.join(tmpdir(), 'underlay-hostile-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const markers = path.join(work, 'markers');
const repo = path.join(work, 'site');
const secrets = path.join(work, 'secrets');
const state = path.join(work, 'state');

/** Every bare specifier underlay or its bin imports, and the tools that could have been loaded in its place. */
const IMPORTED = ['zod', 'yaml', 'commander', 'liquidjs', 'isomorphic-git', 'ssh2', 'better-sqlite3', 'safe-stable-stringify', 'tsx', 'esbuild', 'typescript'];

/**
 * The names underlay's sources import from packages. A stand-in module must export all of them, or ES module
 * linking fails before any code runs and a redirected import would show as a crash instead of as code that ran.
 */
function importedNames(): string[] {
  const names = new Set<string>();
  for (const dir of ['controller', 'reconcilers']) {
    for (const file of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(path.join(root, dir, file), 'utf8');
      for (const [, clause] of text.matchAll(/^import\s+(?!type\s)([^;]+?)\s+from\s+'[^.'][^']*'/gm)) bindingsOf(clause!).forEach((n) => names.add(n));
    }
  }
  return [...names].sort();
}

/** The exported names an import clause asks for: `a, { b, c as d, type T }` gives a, b, c; `* as ns` none. */
function bindingsOf(clause: string): string[] {
  const exported = clause
    .replace(/\*\s+as\s+[\w$]+/, '')
    .replace(/[{}]/g, ',')
    .split(',')
    .map((part) => part.trim().split(/\s+as\s+/)[0]!);
  return exported.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
}

/** An ES module (or TypeScript) that leaves a marker when it runs and exports whatever its importer asks for. */
const payload = (label: string): string =>
  `process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(path.join(markers, label))}, 'ran');\n` +
  importedNames().map((n) => `export const ${n} = undefined;\n`).join('') +
  'export default undefined;\n';
const cjsPayload = (label: string): string =>
  `require('node:fs').writeFileSync(${JSON.stringify(path.join(markers, label))}, 'ran');\n`;

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  writeFileSync(path.join(repo, file), text);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const sshKeygen = (file: string): string => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hostile-test', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
};

const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@underlay.invalid', ...args]);

/** The example site, on loopback addresses at a port nobody listens on, with real keys: commands get as far as connecting. */
async function makeSite(): Promise<number> {
  const port = await closedPort();
  mkdirSync(markers);
  mkdirSync(secrets, { mode: 0o700 });
  cpSync(path.join(root, 'examples', 'three-node-etcd'), repo, { recursive: true });
  sshKeygen(path.join(secrets, 'ssh-client-key'));
  rmSync(path.join(secrets, 'ssh-client-key.pub'));
  const site = path.join(repo, 'site.yaml');
  writeFileSync(site, readFileSync(site, 'utf8').replace(/port: 22\b/, `port: ${port}`));
  for (const n of [1, 2, 3]) {
    const file = path.join(repo, 'nodes', `node${n}.yaml`);
    const hostKey = sshKeygen(path.join(work, `host-key-${n}`));
    writeFileSync(file, readFileSync(file, 'utf8').replace(/address: \S+/, `address: 127.0.0.${n}`).replace(/hostKey: .*/, `hostKey: ${hostKey}`));
  }

  const paths: Record<string, string[]> = { '*': ['./evil/paths-any.ts'] };
  for (const name of IMPORTED) {
    paths[name] = [`./evil/paths-${name}.ts`];
    paths[`${name}/*`] = [`./evil/paths-${name}.ts`];
    write(`evil/paths-${name}.ts`, payload(`tsconfig-paths-${name}`));
  }
  write('evil/paths-any.ts', payload('tsconfig-paths-any'));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths, allowJs: true, module: 'commonjs' } }, null, 2));

  write('evil/package-scope.cjs', cjsPayload('package-json'));
  write('package.json', JSON.stringify({
    name: 'underlay',
    type: 'commonjs',
    main: './evil/package-scope.cjs',
    exports: { '.': './evil/package-scope.cjs', './*': './evil/package-scope.cjs' },
    imports: { '#*': './evil/package-scope.cjs' },
    scripts: { preinstall: 'node evil/package-scope.cjs' },
  }, null, 2));

  write('evil/npmrc.cjs', cjsPayload('npmrc-node-options'));
  write('.npmrc', `node-options=--require ./evil/npmrc.cjs\n`);

  for (const name of IMPORTED) {
    const dir = `node_modules/${name}`;
    write(`${dir}/index.cjs`, cjsPayload(`node-modules-${name}`));
    write(`${dir}/index.mjs`, payload(`node-modules-${name}`));
    const target = { import: './index.mjs', require: './index.cjs' };
    write(`${dir}/package.json`, JSON.stringify({ name, version: '99.0.0', main: './index.cjs', exports: { '.': target, './*': target } }));
  }

  git('init', '-q', '-b', 'main');
  git('add', '-A', '-f');
  git('commit', '-q', '-m', 'a site that tries to run its own code');
  // Set after committing: the git CLI used here to commit would run them itself.
  const mark = path.join(work, 'git-mark.sh');
  writeFileSync(mark, `#!/bin/sh\ntouch ${JSON.stringify(path.join(markers, 'git-'))}"$1"\n`);
  chmodSync(mark, 0o755);
  git('config', 'core.fsmonitor', `${mark} fsmonitor`);
  git('config', 'core.sshCommand', `${mark} sshCommand`);
  git('config', 'core.pager', `${mark} pager`);
  git('config', 'filter.evil.smudge', `${mark} smudge`);
  git('config', 'filter.evil.clean', `${mark} clean`);
  git('config', 'filter.evil.process', `${mark} process`);
  write('.git/info/attributes', '* filter=evil\n');
  return port;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function underlay(args: string[]): Promise<Outcome> {
  // Only what any user has; NODE_OPTIONS is the user's to set and would measure the harness, not the CLI.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, XDG_CACHE_HOME: path.join(work, 'cache') };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repo, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let port = 0;
test.before(async () => {
  port = await makeSite();
});

const live = ['--secrets-dir', secrets, '--state-dir', state, '--concurrency', '3'];
const commands = (): string[][] => [
  ['--version'],
  ['--help'],
  ['help', 'plan'],
  ['validate'],
  ['validate', '--worktree', '--output', 'json'],
  ['plan'],
  ['plan', '--output', 'json', '--out', path.join(work, 'plan.json')],
  ['plan', ...live],
  ['apply', ...live],
  ['apply', '--plan', path.join(work, 'plan.json'), ...live],
  ['inventory', ...live],
  ['status', '--state-dir', state],
  ['nodes', 'keyscan', '127.0.0.1', '--port', String(port)],
  ['schema'],
];

test.serial('the payloads are live: each writes its marker when run', (t) => {
  execFileSync(process.execPath, [path.join(repo, 'evil', 'package-scope.cjs')]);
  execFileSync(process.execPath, [path.join(repo, 'node_modules', 'zod', 'index.mjs')]);
  execFileSync(path.join(work, 'git-mark.sh'), ['selftest']);
  t.deepEqual(readdirSync(markers).sort(), ['git-selftest', 'node-modules-zod', 'package-json']);
  // The stand-ins link in place of the real packages (checked against the old tsx-based bin/, which ran them).
  t.true(['Command', 'CommanderError', 'z', 'Liquid', 'Client', 'parseAllDocuments'].every((n) => importedNames().includes(n)));
  for (const marker of readdirSync(markers)) rmSync(path.join(markers, marker));
});

test.serial('no command started inside the repository runs anything of it', async (t) => {
  for (const args of commands()) {
    const { code, stdout, stderr } = await underlay(args);
    const what = `underlay ${args.join(' ')} (exit ${code}):\n${stderr}`;
    t.deepEqual(readdirSync(markers), [], what);
    t.true(code === 0 || code === 1 || code === 2, what);
    t.notRegex(stderr, /^\s+at |InternalError/m, what);
    if (args[0] === '--version') t.is(stdout, '0.1.0\n');
    if (args[0] === 'validate' && args.length === 1) t.is(code, 0, what);
  }
});
