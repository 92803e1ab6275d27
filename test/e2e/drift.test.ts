/**
 * Drift on a real test host: a file edited by hand on the node is reported by `underlay drift` against the
 * last applied revision, with its first-seen time and age kept across checks; `--correct` puts it back
 * (policy `correct`), leaves a resource whose own policy is `alert` alone, and after three corrections
 * within the hour a fourth drift is "fighting": reported, not corrected. A commit not yet applied is not drift.
 */
import test from 'ava';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DriftRecord, DriftReport } from '../../controller/drift/drift-report.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { sha256Of, ssh } from './support/node-checks.js';
import type { CliResult } from './support/e2e-site.js';

const s = useOneNodeSite();
const MOTD = 'node1/file:/etc/motd';
const NODE_ENV = 'node1/file:/var/lib/underlay-base/node.env';

function report(r: CliResult): DriftReport {
  try {
    return JSON.parse(r.stdout) as DriftReport;
  } catch {
    throw new Error(`drift printed no JSON report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

async function drift(t: import('ava').ExecutionContext, expectedCode: number, extra: string[] = []): Promise<DriftReport> {
  const r = await s().underlay(['drift', '--output', 'json', ...extra]);
  t.is(r.code, expectedCode, `${r.stdout}\n${r.stderr}`);
  return report(r);
}

const ids = (records: readonly DriftRecord[]): string[] => records.map((r) => r.id);
const editMotd = (text: string): Promise<string> => ssh(s().hosts, 'node1', `printf '%s\\n' '${text}' > /etc/motd`);

test.serial('set up: the policy committed and applied', async (t) => {
  await s().commit('drift: correct, except node.env (alert)', (dir) =>
    appendFile(path.join(dir, 'cluster.yaml'), '  drift:\n    mode: correct\n    resources:\n      "file:/var/lib/underlay-base/node.env": alert\n'),
  );
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
});

test.serial('a converged node has no drift', async (t) => {
  const r = await drift(t, 0);
  t.is(r.baseline, 'last-applied');
  t.deepEqual(r.drifted, []);
});

test.serial('a hand edit is reported with its first-seen time and age, kept across checks, by digests only', async (t) => {
  const applied = sha256Of(s().hosts, 'node1', '/etc/motd');
  await editMotd('edited by hand');
  const first = await drift(t, 2);
  t.deepEqual(ids(first.drifted), [MOTD]);
  const record = first.drifted[0]!;
  t.like(record, { disposition: 'correct', mode: 'correct', firstSeen: first.checkedAt });
  t.is(record.after?.contentSha256, applied, 'after: what the last applied revision wrote');
  t.is(record.before?.contentSha256, sha256Of(s().hosts, 'node1', '/etc/motd'), 'before: what is on the node now');
  t.notRegex(JSON.stringify(first), /edited by hand/, 'no content in the report');

  const second = await drift(t, 2);
  const again = second.drifted[0]!;
  t.is(again.firstSeen, record.firstSeen, 'first seen stays');
  t.is(again.ageSeconds, Math.floor((Date.parse(second.checkedAt) - Date.parse(record.firstSeen)) / 1000));
  const text = await s().underlay(['drift']);
  t.is(text.code, 2);
  t.regex(text.stdout, /~ node1 file:\/etc\/motd: content changed/);
  t.regex(text.stdout, /correct \(mode correct\), drifted for \d+[smhd]/);

  const status = await s().underlay(['status', '--output', 'json']);
  const shown = (JSON.parse(status.stdout) as { drift?: { drifted: DriftRecord[] } }).drift?.drifted ?? [];
  t.deepEqual(shown.map((r) => [r.id, r.firstSeen]), [[MOTD, record.firstSeen]], 'status shows the drift the last check found');
  t.regex((await s().underlay(['status'])).stdout, /^Drift: 1 resource\(s\)/m);
});

test.serial('--correct puts the file back, leaves an alert-mode resource alone; the next check reports it resolved', async (t) => {
  const applied = (await ssh(s().hosts, 'node1', 'cat /var/lib/underlay-base/node.env')).trim();
  await ssh(s().hosts, 'node1', "echo 'NODE_NAME=impostor' > /var/lib/underlay-base/node.env");
  const corrected = await drift(t, 2, ['--correct']);
  t.deepEqual(ids(corrected.drifted), [MOTD, NODE_ENV]);
  t.deepEqual(ids(corrected.toCorrect), [MOTD]);
  t.like(corrected.drifted[1], { mode: 'alert', disposition: 'report' });
  t.like(corrected.correction, { status: 'succeeded', corrected: [MOTD], failed: [] });
  t.notRegex(await ssh(s().hosts, 'node1', 'cat /etc/motd'), /edited by hand/);
  t.is((await ssh(s().hosts, 'node1', 'cat /var/lib/underlay-base/node.env')).trim(), 'NODE_NAME=impostor', 'alert: reported, not corrected');

  await ssh(s().hosts, 'node1', `printf '%s\\n' '${applied.split('\n').join("' '")}' > /var/lib/underlay-base/node.env`);
  const after = await drift(t, 0);
  t.deepEqual(after.drifted, []);
  t.deepEqual(ids(after.resolved), [MOTD, NODE_ENV]);
});

test.serial('corrected three times within the hour, a fourth drift is fighting: reported, not corrected', async (t) => {
  // One correction so far (the test before); two more.
  for (const round of [2, 3]) {
    await editMotd(`edit ${round}`);
    const r = await drift(t, 2, ['--correct']);
    t.like(r.correction, { corrected: [MOTD] }, `correction ${round}`);
  }
  await editMotd('edit 4');
  const fighting = await drift(t, 2, ['--correct']);
  t.deepEqual(ids(fighting.fighting), [MOTD]);
  t.like(fighting.drifted[0], { disposition: 'fighting', correctionsLastHour: 3 });
  t.deepEqual(fighting.toCorrect, []);
  t.is(fighting.correction, undefined, 'nothing was applied');
  t.regex(await ssh(s().hosts, 'node1', 'cat /etc/motd'), /edit 4/);
});

test.serial('a commit not yet applied is not drift: drift is measured against the last applied revision', async (t) => {
  const before = await drift(t, 2);
  const head = await s().commit('a new banner, not applied', async (dir) => {
    const file = path.join(dir, 'site.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/motd: .*/, 'motd: "a banner nobody applied"'));
  });
  const r = await drift(t, 2);
  t.is(r.revision, before.revision, 'the baseline is still the applied commit');
  t.not(r.revision, head);
  t.deepEqual(ids(r.drifted), [MOTD], 'the hand edit only');
  t.is(r.drifted[0]?.after?.contentSha256, before.drifted[0]?.after?.contentSha256, 'wanted: the applied banner, not the new one');
  const current = await drift(t, 2, ['--against', 'current']);
  t.like(current, { baseline: 'current', revision: head });
  t.not(current.drifted[0]?.after?.contentSha256, before.drifted[0]?.after?.contentSha256, 'against the ref: the new banner');
});

test.serial('a correction that fails is not tried again until its backoff has passed', async (t) => {
  const dir = '/var/lib/underlay-base';
  const id = `node1/directory:${dir}`;
  // A read-only bind mount over the directory: the chmod that would correct it fails (EROFS).
  await ssh(s().hosts, 'node1', `chmod 0700 ${dir} && mount --bind ${dir} ${dir} && mount -o remount,ro,bind ${dir}`);
  t.teardown(() => ssh(s().hosts, 'node1', `umount ${dir}`).then(() => undefined));
  const failed = await drift(t, 1, ['--correct']);
  t.like(failed.correction, { failed: [id], corrected: [] });
  const waiting = await drift(t, 2, ['--correct']);
  const record = waiting.drifted.find((r) => r.id === id);
  t.is(record?.disposition, 'backoff');
  t.true(Date.parse(record?.retryAt ?? '') > Date.parse(failed.checkedAt), 'the retry is after the failure');
  t.is(waiting.correction, undefined, 'not tried again yet');
});
