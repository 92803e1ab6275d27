/**
 * What a converge of 10 real test hosts prints, and where it keeps its state, with no --state-dir: the
 * benchmark's site (bench/converge: 20 files and 2 services per node, the site whose converge printed
 * every file in full) applied through the real CLI, as a child process whose stdout is a pipe (not a TTY).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSite } from '../../bench/converge/site.js';
import { createTestHosts, type TestHostCluster } from '../hosts/harness.js';
import { underlayBin, type CliResult } from './support/e2e-site.js';

const NODES = 10;
let hosts: TestHostCluster | undefined;
let work = '';
const cluster = (): TestHostCluster => hosts ?? (() => { throw new Error('the test hosts did not come up'); })();

test.before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-output-'));
  hosts = await createTestHosts({ count: NODES });
  await writeSite(path.join(work, 'site'), hosts.hosts);
  // The default secret store is <state-dir>/secrets; the default state dir $XDG_STATE_HOME/underlay.
  await mkdir(path.join(work, 'xdg/underlay/secrets'), { recursive: true, mode: 0o700 });
  await cp(hosts.clientKeyPath, path.join(work, 'xdg/underlay/secrets/ssh-client-key'));
  await mkdir(path.join(work, 'cwd'));
});
test.after.always(async () => {
  await hosts?.teardown();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The real CLI from an empty working directory, with XDG_STATE_HOME and no --state-dir or --secrets-dir. */
function underlay(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: path.join(work, 'xdg') };
    delete env.UNDERLAY_STATE_DIR;
    delete env.UNDERLAY_SECRETS_DIR;
    const child = spawn(process.execPath, [underlayBin, ...args], { cwd: path.join(work, 'cwd'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr });
    });
  });
}

const lineCount = (text: string): number => text.split('\n').length - 1;

test.serial('a first converge of 10 nodes prints one line per change and a summary, no file content', async (t) => {
  const repo = path.join(work, 'site');
  const plan = await underlay(['plan', '--repo', repo, '--live', '--output', 'json']);
  t.is(plan.code, 0, plan.stderr);
  const changes = (JSON.parse(plan.stdout) as { changes: unknown[] }).changes.length;
  t.is(changes, NODES * 23, 'a directory, 20 files and 2 services per node');

  const apply = await underlay(['apply', '--repo', repo]);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  const lines = lineCount(apply.stdout) + lineCount(apply.stderr);
  t.log(`apply printed ${lines} lines for ${changes} changes`);
  t.true(lines <= changes + 20, `${lines} lines for ${changes} changes:\n${apply.stdout.slice(0, 3000)}`);
  t.regex(apply.stdout, /^ {2}applied create node1\/file:\/etc\/bench\/file01\.conf \(.+\)$/m);
  t.regex(apply.stdout, /^Plan: 230 to create, 0 to update, 0 to delete, 0 to restart, 0 to run\.$/m);
  t.regex(apply.stdout, /^Run 1: succeeded$/m);
  t.notRegex(apply.stdout, /bench\/converge file 01/, 'no file content without --diff');
  t.false((apply.stdout + apply.stderr).includes('\r'), 'no progress line when stdout is not a terminal');

  // The state went to the one default place, not into the working directory; status finds it there.
  t.true(existsSync(path.join(work, 'xdg/underlay/underlay.db')));
  t.deepEqual(await readdir(path.join(work, 'cwd')), []);
  const status = await underlay(['status']);
  t.is(status.code, 0, `${status.stdout}\n${status.stderr}`);
  t.regex(status.stdout, /^Last run 1: succeeded/);
});

test.serial('--diff prints the whole plan with its content first', async (t) => {
  const repo = path.join(work, 'site');
  const host = cluster().hosts[0]!;
  // A change on node1 only: the file is written again, as Git says.
  const r = await cluster().run(host.name, 'rm /etc/bench/file03.conf');
  t.is(r.code, 0, r.stderr);
  const apply = await underlay(['apply', '--repo', repo, '--diff', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  t.regex(apply.stdout, /\+ create file:\/etc\/bench\/file03\.conf \[bench\/bench\]/);
  t.regex(apply.stdout, /^ {6}\+# bench\/converge file 03: /m, 'the content');
  t.regex(apply.stdout, /^ {2}applied create node1\/file:\/etc\/bench\/file03\.conf \(/m);
});
