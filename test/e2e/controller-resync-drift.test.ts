/**
 * A controller's reconcile leaves drift to the drift policy (ADR 0028), through the real `underlay controller`
 * on a real test host. Under `apply: auto` with the default `drift.mode: alert`, a file edited by hand on the
 * node stays edited through reconciles of the unchanged revision (asked for through the API, as the resync
 * interval asks): it is reported as drift at a local HTTP sink, never put back. What is due for other
 * reasons at that same revision is still applied: a secret rotated in the store reaches the node. A commit
 * that changes the edited file is Git's change, and is applied, which resolves the drift.
 */
import test from 'ava';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startAlertSink } from './support/alert-sink.js';
import { git } from './support/e2e-site.js';
import { onHost, ssh } from './support/node-checks.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';

const TOKEN_PATH = '/etc/bootstrap-token';
const site = useOneNodeSite(['    - secretFile:', `        path: ${TOKEN_PATH}`, '        secret: bootstrap-token', '        mode: "0400"']);
const HMAC_KEY = 'e2e-resync-alert-key-2b7e';
const POLICY = '  secrets:\n    - name: bootstrap-token\n      nodes: {roles: [etcd]}\n';
const MOTD = 'file:/etc/motd';

let controller: ControllerProcess | undefined;
test.after.always(async () => {
  await controller?.stop('SIGKILL');
});

type LogLine = Record<string, unknown>;

test.serial('an alert-mode hand edit survives reconciles of its revision and is alerted; a rotated secret is delivered; a commit of the file puts it back', async (t) => {
  const sink = await startAlertSink();
  t.teardown(() => sink.close());
  const secrets = site().secretsDir;
  await writeFile(path.join(secrets, 'alert-hmac'), HMAC_KEY, { mode: 0o600 });
  await writeFile(path.join(secrets, 'bootstrap-token'), 'token-one-6f1c', { mode: 0o600 });
  await site().commit('a bootstrap token for node1', (dir) => appendFile(path.join(dir, 'site.yaml'), POLICY));
  const head = await git(site().repoDir, 'rev-parse', 'HEAD');
  const config = await writeControllerConfig(
    site(),
    [
      '  - name: lab',
      `    source: {repository: ${site().repoDir}, ref: main}`,
      '    interval: 1h',
      // 1 January, 00:00: never during the test; the checks are the ones reconciles ask for.
      '    drift: {schedule: "0 0 1 1 *"}',
      `    alerts: [{type: webhook, url: "${sink.url}", secret: alert-hmac}]`,
    ].join('\n'),
  );
  controller = startController(config);
  const c = controller;
  await c.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === head, 'the first apply');
  await c.waitForLog((l) => l.msg === 'drift checked', 'the drift check after the first apply');
  const token = (): Promise<string> => readFile(onHost(site().hosts, 'node1', TOKEN_PATH), 'utf8');
  t.is(await token(), 'token-one-6f1c');

  const edited = c.logs.length;
  await ssh(site().hosts, 'node1', "echo 'edited by hand' > /etc/motd");
  const reconciledSince = (mark: number): LogLine[] => c.logs.slice(mark).filter((l) => l.msg === 'reconciled');
  /** One reconcile of the unchanged revision, asked for through the API; its log line. */
  const reconcileNow = async (): Promise<LogLine> => {
    const before = reconciledSince(edited).length;
    const asked = await c.api('POST', '/api/v1/sites/lab/reconcile');
    t.is(asked.status, 202);
    await c.waitForLog(() => reconciledSince(edited).length > before, 'the reconcile asked for');
    return reconciledSince(edited)[before]!;
  };
  const first = await reconcileNow();
  t.like(first, { outcome: 'done', revision: head, heldDrift: 1 });
  const held = c.logs.slice(edited).find((l) => l.msg === 'drift held back for the drift policy');
  t.deepEqual(held?.changes, [`node1/${MOTD}`]);
  const firing = await sink.waitFor((a) => a.event === 'DriftDetected' && a.key === `node1/${MOTD}`, 'the drift alert', () => c.output());
  t.like(firing, { site: 'lab', status: 'firing' });
  t.like(await reconcileNow(), { outcome: 'done', heldDrift: 1 });
  t.is((await ssh(site().hosts, 'node1', 'cat /etc/motd')).trim(), 'edited by hand', 'two reconciles later, the hand edit is still there');
  const status = await c.api('GET', '/api/v1/sites/lab');
  t.like(status.body, { plan: { changes: 0, heldDrift: 1 } });
  t.false(c.logs.slice(edited).some((l) => l.msg === 'change' && l.change === `node1/${MOTD}`), 'the edited file was never applied');

  // Rotated in the store: the same desired state in Git, and still due. The reconcile delivers it; the edit stays.
  const rotated = c.logs.length;
  await writeFile(path.join(secrets, 'bootstrap-token'), 'token-two-90ad', { mode: 0o600 });
  t.like(await reconcileNow(), { outcome: 'done', heldDrift: 1 });
  t.is(await token(), 'token-two-90ad');
  t.true(c.logs.slice(rotated).some((l) => l.msg === 'change' && l.change === `node1/secretFile:${TOKEN_PATH}` && l.outcome === 'applied'));
  t.is((await ssh(site().hosts, 'node1', 'cat /etc/motd')).trim(), 'edited by hand');

  // Git changes the edited file: that is no drift, so the reconcile applies it, and the drift resolves.
  await site().commit('a new banner', async (dir) => {
    const file = path.join(dir, 'site.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/motd: .*/, 'motd: "A new banner, from Git."'));
  });
  const next = await git(site().repoDir, 'rev-parse', 'HEAD');
  await c.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === next, 'the commit applied');
  t.regex(await ssh(site().hosts, 'node1', 'cat /etc/motd'), /A new banner, from Git\./);
  await sink.waitFor((a) => a.event === 'DriftResolved' && a.key === `node1/${MOTD}`, 'the drift resolved', () => c.output());
  t.true(sink.allSignedWith(HMAC_KEY));
  for (const secret of ['token-one-6f1c', 'token-two-90ad', HMAC_KEY]) t.false(c.output().includes(secret), 'no secret in the logs');
  t.is(await c.stop(), 0);
});
