/**
 * The CLI as a process (bin/underlay.js, the built dist/): what it does when the reader of its output goes
 * away, and when an error nobody expected reaches it. Neither may end in a stack trace or an exit code
 * other than 0, 1 or 2.
 */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from './main.js';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'underlay.js');
const work = mkdtempSync(path.join(tmpdir(), 'underlay-entry-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const site = path.join(work, 'site');
cpSync(path.join(root, 'examples', 'three-node-etcd'), site, { recursive: true });
for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'site']]) {
  execFileSync('git', ['-C', site, '-c', 'user.name=t', '-c', 'user.email=t@underlay.invalid', ...args]);
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs node with args; with closeStdout, stdout's read end is closed before the child can write anything. */
function runNode(args: string[], closeStdout: boolean): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    if (closeStdout) child.stdout.destroy();
    else child.stdout.resume();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

for (const command of [['plan', '--repo', site, '--detailed-exitcode'], ['schema'], ['--help']]) {
  test(`'underlay ${command[0]} | head' (a reader gone before the first write) is quiet and keeps the command's exit code`, async (t) => {
    const read = await runNode([bin, ...command], false);
    const gone = await runNode([bin, ...command], true);
    t.is(gone.signal, null);
    t.is(gone.stderr, read.stderr);
    t.is(gone.code, read.code);
  });
}

test('an unexpected error inside a command is one line naming it, with how to get the stack; exit 1', async (t) => {
  const run = async (env: NodeJS.ProcessEnv) => {
    let stderr = '';
    const code = await main(['schema'], {
      stdout: () => {
        throw new TypeError('cannot write\nat all');
      },
      stderr: (text) => (stderr += text),
      cwd: work,
      env,
    });
    return { code, stderr };
  };
  const plain = await run({});
  t.is(plain.code, 1);
  t.is(plain.stderr, 'error: internal error [InternalError]: TypeError: cannot write at all (a bug in underlay: please report it; set UNDERLAY_DEBUG=1 for the stack trace)\n');
  const debug = await run({ UNDERLAY_DEBUG: '1' });
  t.is(debug.code, 1);
  t.true(debug.stderr.startsWith(plain.stderr), debug.stderr);
  t.regex(debug.stderr.slice(plain.stderr.length), /^TypeError: cannot write\nat all\n\s+at /);
});

test('an error thrown outside main() (no listener, no await) is the same one line; exit 1', async (t) => {
  const entry = pathToFileURL(path.join(root, 'dist', 'underlay.js')).href;
  const code = `const { runCli } = await import(${JSON.stringify(entry)}); setTimeout(() => { throw new RangeError('late'); }); await runCli(['--version']);`;
  const exit = await new Promise<Exit>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, UNDERLAY_DEBUG: '' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (c, signal) => resolve({ code: c, signal, stderr }));
  });
  t.is(exit.code, 1);
  t.is(exit.stderr, 'error: internal error [InternalError]: RangeError: late (a bug in underlay: please report it; set UNDERLAY_DEBUG=1 for the stack trace)\n');
});
