/**
 * Drift into alerts on a real test host, in-process as the controller wires them: a hand edit found by
 * checkDrift raises one DriftDetected at a local HTTP sink (signed, with digests and no secret), a
 * correction under `correct` puts the file back without alerting again, and the next check sends the
 * resolved notification.
 */
import test from 'ava';
import { createHmac } from 'node:crypto';
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { systemClock, systemTimers } from '../../controller/clock.js';
import { createAlerter } from '../../controller/alerts/create-alerter.js';
import { alertDrift } from '../../controller/drift/drift-alerts.js';
import { cliDriftDeps } from '../../controller/cli/drift-deps.js';
import type { CliIO } from '../../controller/cli/io.js';
import { cliReconcileDeps } from '../../controller/cli/reconcile-deps.js';
import { checkDrift, type DriftCheckOptions } from '../../controller/drift/check-drift.js';
import type { DriftReport } from '../../controller/drift/drift-report.js';
import { sha256Of, ssh } from './support/node-checks.js';
import { useOneNodeSite } from './support/one-node-site.js';

const s = useOneNodeSite();
const KEY = 'sink-signing-key';

async function check(t: import('ava').ExecutionContext, correct: boolean): Promise<DriftReport> {
  const io: CliIO = { stdout: () => undefined, stderr: (text) => t.log(text.trim()), cwd: s().repoDir, env: process.env };
  const options = { repo: s().repoDir, stateDir: s().stateDir, secretsDir: s().secretsDir, concurrency: '2', gitKeySecret: 'git-ssh-key' };
  const reconcile = cliReconcileDeps(options, io, () => undefined);
  const how: DriftCheckOptions = { site: 'lab', baseline: 'last-applied', ...(correct ? { correct: { lockTimeoutMs: 0, leaseTtlSeconds: 30 } } : {}) };
  try {
    return await checkDrift(cliDriftDeps(options, io, reconcile), how);
  } finally {
    await reconcile.close();
  }
}

test('a hand edit raises a drift alert at the sink, is corrected, and sends a resolved alert', async (t) => {
  const bodies: { body: string; signature: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => (bodies.push({ body, signature: req.headers['x-underlay-signature'] as string | undefined }), res.end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const secretValues = async (): Promise<string[]> => Promise.all((await readdir(s().secretsDir)).map((f) => readFile(path.join(s().secretsDir, f), 'utf8')));
  const alerter = createAlerter({
    routes: [{ type: 'webhook', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, secret: 'alert-hmac' }],
    clock: systemClock,
    timers: systemTimers,
    fetch,
    secrets: { read: () => Promise.resolve(Buffer.from(KEY)), values: secretValues },
  });
  t.teardown(() => alerter.close());

  await s().commit('drift: correct', (dir) => appendFile(path.join(dir, 'cluster.yaml'), '  drift:\n    mode: correct\n'));
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, apply.stderr);

  await ssh(s().hosts, 'node1', "echo 'edited by hand' > /etc/motd");
  const found = await check(t, false);
  alertDrift(alerter, found);
  await alerter.settled();
  t.is(bodies.length, 1, 'one alert for the drifted file');
  const firing = JSON.parse(bodies[0]!.body) as { event: string; key: string; details: { before: { contentSha256: string }; ageSeconds: number } };
  t.like(firing, { event: 'DriftDetected', key: 'node1/file:/etc/motd' });
  t.is(firing.details.before.contentSha256, sha256Of(s().hosts, 'node1', '/etc/motd'));
  t.is(bodies[0]!.signature, `sha256=${createHmac('sha256', KEY).update(bodies[0]!.body).digest('hex')}`);

  const corrected = await check(t, true);
  t.like(corrected.correction, { corrected: ['node1/file:/etc/motd'] });
  alertDrift(alerter, corrected);
  await alerter.settled();
  t.is(bodies.length, 1, 'still the same incident: not alerted again');

  const clean = await check(t, false);
  alertDrift(alerter, clean);
  await alerter.settled();
  t.is(bodies.length, 2);
  t.like(JSON.parse(bodies[1]!.body), { event: 'DriftResolved', status: 'resolved', key: 'node1/file:/etc/motd' });
  for (const secret of await secretValues()) for (const b of bodies) t.false(b.body.includes(secret.trim()), 'no secret of the store in a payload');
});
