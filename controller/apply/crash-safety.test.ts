/**
 * Crash safety of apply: a child process applies the FAKE marker-file site of crash-apply.fixture.ts with a
 * slow FAKE reconciler and is SIGKILLed at several points. Real-host crash tests live in test/e2e.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { fakeSite, markerFile } from './fake-marker-site.js';

const here = path.dirname(fileURLToPath(import.meta.url));

type KillPoint = { after: 'started' | 'finished'; count: number } | null;

/** Runs the fixture; kills it with SIGKILL right after the `count`-th line of kind `after` (or lets it finish). */
function runApply(db: string, markers: string, kill: KillPoint): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', path.join(here, 'crash-apply.fixture.ts'), db, markers, '150'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let seen = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (kill && line.startsWith(`${kill.after} `) && ++seen === kill.count) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ lines, killed: true });
      else if (code === 0) resolve({ lines, killed: false });
      else reject(new Error(`apply child exited ${code}: ${stderr}`));
    });
  });
}

async function markerCounts(dir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const c of fakeSite()) {
    const text = await readFile(markerFile(dir, c.id), 'utf8').catch(() => '');
    if (text !== '') counts.set(c.id, text.trimEnd().split('\n').length);
  }
  return counts;
}

test('apply killed at several points loses nothing, repeats nothing, and the next run completes the rest', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const markers = path.join(dir, 'nodes');
  await mkdir(markers);
  const db = path.join(dir, 'state', 'underlay.db');
  const kills: KillPoint[] = [
    { after: 'started', count: 1 },
    { after: 'finished', count: 3 },
    { after: 'started', count: 3 },
  ];
  const all = fakeSite().map((c) => c.id);

  for (const kill of kills) {
    const before = await markerCounts(markers);
    const { lines, killed } = await runApply(db, markers, kill);
    t.true(killed, `killed at ${JSON.stringify(kill)}`);
    const lastStarted = [...lines].reverse().find((l) => l.startsWith('started '))?.slice('started '.length);

    const store = SqliteStore.open({ file: db, site: 'lab', clock: steppingClock() });
    t.is(store.integrityCheck(), 'ok');
    const recovered = await store.recoverInterruptedRuns();
    t.is(recovered.length, 1, 'the killed run is found');
    const interrupted = recovered[0];
    if (!interrupted) return;
    t.is(interrupted.run.status, 'interrupted');
    const journal = await store.journalOf(interrupted.run.id);
    const succeeded = journal.filter((e) => e.phase === 'succeeded').map((e) => e.changeId);
    const counts = await markerCounts(markers);
    for (const id of succeeded) t.is(counts.get(id), 1, `${id} journalled succeeded and really done, once`);
    // The slow fake was mid-change when killed: that change is reported in flight, not as done.
    if (kill?.after === 'started') t.true(interrupted.inFlight.some((e) => e.changeId === lastStarted), `${lastStarted} in flight`);
    for (const e of interrupted.inFlight) t.false(succeeded.includes(e.changeId));
    // Nothing done before this run was planned again.
    const attempted = journal.filter((e) => e.phase === 'started').map((e) => e.changeId);
    for (const id of attempted) t.false(before.has(id), `${id} was already done before the run`);
    await store.close();
  }

  const before = await markerCounts(markers);
  t.true(before.size > 0 && before.size < all.length, `partial progress before the final run (${before.size}/${all.length})`);
  const { lines, killed } = await runApply(db, markers, null);
  t.false(killed);
  t.true(lines.includes('done succeeded'));
  const started = lines.filter((l) => l.startsWith('started ')).map((l) => l.slice('started '.length));
  t.deepEqual(started.sort(), all.filter((id) => !before.has(id)).sort(), 'the final run does exactly what was left');
  const after = await markerCounts(markers);
  t.deepEqual([...after.keys()].sort(), [...all].sort());
  t.true([...after.values()].every((n) => n === 1), 'no change was done twice');
  t.is((await readdir(markers)).length, all.length);

  const store = SqliteStore.open({ file: db, site: 'lab', clock: steppingClock() });
  const runs = await store.runs();
  t.deepEqual(
    runs.map((r) => r.status),
    ['succeeded', 'interrupted', 'interrupted', 'interrupted'],
  );
  await store.close();
});
