/**
 * The node-side scripts of tracked command runs, run with the local sh against a temporary runs directory
 * (the same scripts a node runs; the SSH part is tested on real test hosts in test/e2e/command-tracking).
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NodeApplyContext } from '../kind-effects.js';
import { parseRunReport, RunMarker } from './run-marker.js';
import { startRun, waitRun } from './tracked-run.js';
import { localTransport as local } from '../../test/support/local-transport.js';


const ctx: NodeApplyContext = {
  transport: local,
  node: { name: 'local', address: '127.0.0.1', port: 22, user: 'root', hostKey: 'ssh-ed25519 AAAA' },
  serviceManager: 'runit',
  run: { id: 7, planHash: 'p'.repeat(64) },
};

async function runsDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-runs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'commands');
}

/** A command that counts its starts in `log`, then blocks until `release` exists. */
const blocking = (dir: string, exit = 0) => ({
  name: 'slow',
  hash: 'h'.repeat(64),
  timeoutSeconds: 30,
  argv: ['sh', '-c', 'echo start >> "$1"; while [ ! -e "$2" ]; do sleep 0.05; done; echo out; echo "err $3" >&2; exit "$3"', '_', `${dir}.log`, `${dir}.release`, String(exit)],
});

const starts = async (dir: string): Promise<number> => (await readFile(`${dir}.log`, 'utf8')).split('\n').filter(Boolean).length;

test('a run is started once: a second start attaches, its end is waited for, and a finished success is adopted', async (t) => {
  const dir = await runsDir(t);
  const request = blocking(dir);
  const first = await startRun(ctx, request, { runsDir: dir });
  t.is(first.state, 'started');
  t.like(first.marker, { hash: request.hash, runId: '7', planHash: 'p'.repeat(64), timeoutSeconds: 30 });
  const second = await startRun(ctx, request, { runsDir: dir });
  t.deepEqual([second.state, second.marker], ['attached', first.marker]);

  await writeFile(`${dir}.release`, '');
  const end = await waitRun(ctx, request.name, first.marker, { runsDir: dir });
  t.like(end.report, { state: 'finished', exitCode: 0 });
  t.is(end.stdout.toString(), 'out\n');
  t.is(end.stderr.toString(), 'err 0\n');

  const third = await startRun(ctx, request, { runsDir: dir });
  t.deepEqual([third.state, third.marker], ['adopted', first.marker]);
  t.is(await starts(dir), 1, 'the command started exactly once');
});

test('a failed run, or one of another definition, is not adopted: the next start runs it afresh', async (t) => {
  const dir = await runsDir(t);
  await writeFile(`${dir}.release`, '');
  const failing = blocking(dir, 3);
  const first = await startRun(ctx, failing, { runsDir: dir });
  const end = await waitRun(ctx, failing.name, first.marker, { runsDir: dir });
  t.like(end.report, { state: 'finished', exitCode: 3 });
  t.is(end.stderr.toString(), 'err 3\n');
  t.is((await startRun(ctx, failing, { runsDir: dir })).state, 'started');
  await waitRun(ctx, failing.name, first.marker, { runsDir: dir });
  const changed = { ...blocking(dir), hash: 'e'.repeat(64) };
  t.is((await startRun(ctx, changed, { runsDir: dir })).state, 'started');
  t.is(await starts(dir), 3);
});

test('a marker from another boot, or of a process that is gone, is a lost run', async (t) => {
  const dir = await runsDir(t);
  await writeFile(`${dir}.release`, '');
  const request = blocking(dir);
  const started = await startRun(ctx, request, { runsDir: dir });
  await waitRun(ctx, request.name, started.marker, { runsDir: dir });
  await rm(path.join(dir, 'slow.status'));
  const marker = path.join(dir, 'slow.json');
  const probe = async (): Promise<ReturnType<typeof parseRunReport>> => (await waitRun(ctx, request.name, started.marker, { runsDir: dir })).report;
  t.like(await probe(), { state: 'lost', lost: 'died' }, 'the runner exited without a status');

  const rebooted: RunMarker = { ...started.marker, bootId: '00000000-0000-0000-0000-000000000000', pid: process.pid };
  await writeFile(marker, JSON.stringify(rebooted) + '\n');
  t.like(await probe(), { state: 'lost', lost: 'rebooted' });

  // Same boot and a live pid, but not the process the marker names (its start time differs): pid reuse.
  const reused: RunMarker = { ...started.marker, pid: process.pid };
  await writeFile(marker, JSON.stringify(reused) + '\n');
  t.like(await probe(), { state: 'lost', lost: 'died' });
  t.is((await startRun(ctx, request, { runsDir: dir })).state, 'started', 'a lost run is started afresh');
});
