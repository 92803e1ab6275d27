/**
 * A CLI `apply` of a site a controller runs (controller-owned-site.ts), in-process over a real Git
 * repository and a real state directory. The controller is a registration written the way the daemon
 * writes it, held by a child that sleeps (alive: not this process, whose own pid a holder never has) or
 * by a child that has exited (dead); the real
 * controller process is in test/e2e/controller-owns-site.test.ts.
 */
import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import { DEFAULT_SITE_ID } from '../load/catalog.js';
import { processStartTicks } from '../store/controller-registration.js';
import { currentProcess } from '../store/lock-holder.js';
import { SqliteStore, stateDatabaseFile } from '../store/sqlite-store.js';
import { main } from './main.js';

const work = mkdtempSync(path.join(tmpdir(), 'underlay-owned-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

function repo(): string {
  const dir = mkdtempSync(path.join(work, 'repo-'));
  cpSync(path.resolve(import.meta.dirname, '../../test/scenarios/01-first-apply/repo'), dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@underlay.invalid', ...args], { stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'site');
  return dir;
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: work, env: {} });
  return { code, stdout, stderr };
}

/** A state directory whose site is registered to the controller process `pid`. */
function registered(pid: number, startTicks: string): { stateDir: string; store: () => SqliteStore } {
  const stateDir = mkdtempSync(path.join(work, 'state-'));
  const open = () => SqliteStore.open({ file: stateDatabaseFile(stateDir), site: DEFAULT_SITE_ID, clock: steppingClock() });
  const store = open();
  store.controllerRegistrations().register('ctl-token', { ...currentProcess(), pid, startTicks, since: '2026-12-02T10:00:00.000Z' }, 10_000);
  void store.close();
  return { stateDir, store: open };
}

const site = repo();

/** A process that stays alive until the test ends: the controller, as far as the registration can tell. */
function liveProcess(t: { teardown(fn: () => void): void }): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  return child.pid!;
}

test('apply is refused while a live controller runs the site: it names the controller and what to use instead, and changes nothing', async (t) => {
  const pid = liveProcess(t);
  const { stateDir, store } = registered(pid, processStartTicks(pid));
  const refused = await cli(['apply', '--repo', site, '--state-dir', stateDir]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, new RegExp(`^error: site default is run by an underlay controller \\(controller pid ${pid} on host [^,]+, since 2026-12-02T10:00:00\\.000Z, last heartbeat `, 'm'));
  t.regex(refused.stderr, /nothing was done/);
  t.regex(refused.stderr, /underlay rollout status\|pause\|resume\|abort/);
  t.regex(refused.stderr, /underlay reconcile\|approve\|suspend\|resume --config controller\.yaml --site default/);
  t.regex(refused.stderr, /underlay force-unlock --controller/);
  t.notRegex(refused.stderr, /ssh-client-key/, 'refused before any secret is read or any node reached');
  const after = store();
  t.deepEqual(await after.runs(), [], 'no run');
  t.is(await after.siteLock(), null, 'no lock taken');
  t.like(after.controllerRegistrations().registration(), { token: 'ctl-token' }, 'the controller keeps the site');
  await after.close();

  const plan = await cli(['plan', '--repo', site, '--state-dir', stateDir]);
  t.is(plan.code, 0, `plan still works: ${plan.stderr}`);
  const status = await cli(['status', '--state-dir', stateDir]);
  t.is(status.code, 0, `status still works: ${status.stderr}`);
});

test('a controller that died (its pid gone) is taken over with a note, and the apply goes on', async (t) => {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dead = Number(child.stdout);
  const { stateDir, store } = registered(dead, '1');
  const apply = await cli(['apply', '--repo', site, '--state-dir', stateDir]);
  t.regex(apply.stderr, new RegExp(`^note: site default: took over from a controller that is no longer running \\(controller pid ${dead} on host `, 'm'));
  t.notRegex(apply.stderr, /run by an underlay controller/);
  // It went on to the locks, which need the SSH identity this test does not give.
  t.regex(apply.stderr, /ssh-client-key/);
  const after = store();
  t.is(after.controllerRegistrations().registration(), null);
  await after.close();
});

test('force-unlock --controller removes the registration whoever holds it, and apply is no longer refused', async (t) => {
  const pid = liveProcess(t);
  const { stateDir, store } = registered(pid, processStartTicks(pid));
  const unlocked = await cli(['force-unlock', '--site', DEFAULT_SITE_ID, '--controller', '--state-dir', stateDir]);
  t.is(unlocked.code, 0, unlocked.stderr);
  t.regex(unlocked.stdout, new RegExp(`^site default: removed the registration of the controller pid ${pid} on host `, 'm'));
  const apply = await cli(['apply', '--repo', site, '--state-dir', stateDir]);
  t.notRegex(apply.stderr, /run by an underlay controller|took over/);
  const after = store();
  t.is(after.controllerRegistrations().registration(), null);
  await after.close();
});
