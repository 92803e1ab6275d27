/**
 * Drift through the real `underlay controller` on a real test host: a hand edit on the node is found by the
 * site's drift schedule, alerted at a local HTTP sink (signed, no secret in it), corrected under
 * `drift.mode: correct`, and its resolved notification follows. The API shows the drift check.
 */
import test from 'ava';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startAlertSink } from './support/alert-sink.js';
import { git } from './support/e2e-site.js';
import { ssh } from './support/node-checks.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { API_TOKEN, startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';

const site = useOneNodeSite();
const HMAC_KEY = 'e2e-alert-signing-key-51f0';

let controller: ControllerProcess | undefined;
test.after.always(async () => {
  await controller?.stop('SIGKILL');
});

test.serial('a hand edit is alerted at the sink within the drift schedule, corrected, and resolved', async (t) => {
  const sink = await startAlertSink();
  t.teardown(() => sink.close());
  const { deliveries } = sink;
  await writeFile(path.join(site().secretsDir, 'alert-hmac'), HMAC_KEY, { mode: 0o600 });
  await site().commit('drift: correct', (dir) => appendFile(path.join(dir, 'cluster.yaml'), '  drift:\n    mode: correct\n'));
  const head = await git(site().repoDir, 'rev-parse', 'HEAD');
  const url = sink.url;
  const config = await writeControllerConfig(
    site(),
    ['  - name: lab', `    source: {repository: ${site().repoDir}, ref: main}`, '    drift: {schedule: "*/2 * * * * *"}', `    alerts: [{type: webhook, url: "${url}", secret: alert-hmac}]`].join('\n'),
  );
  controller = startController(config);
  await controller.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === head, 'the first apply');
  const motd = await ssh(site().hosts, 'node1', 'cat /etc/motd');

  await ssh(site().hosts, 'node1', "echo 'edited by hand' > /etc/motd");
  const waitFor = (event: string): Promise<Record<string, unknown>> => sink.waitFor((b) => b.event === event, event, () => controller?.output() ?? '');
  const firing = await waitFor('DriftDetected');
  t.like(firing, { key: 'node1/file:/etc/motd', site: 'lab' });
  const resolved = await waitFor('DriftResolved');
  t.like(resolved, { key: 'node1/file:/etc/motd', status: 'resolved' });
  t.is(await ssh(site().hosts, 'node1', 'cat /etc/motd'), motd, 'the file was put back');
  t.true(sink.allSignedWith(HMAC_KEY), 'every alert signed with the route key');

  const drift = (await controller.api('GET', '/api/v1/sites/lab/drift')).body as { lastCheck: { site: string } | null };
  t.is(drift.lastCheck?.site, 'lab');
  const apiUrl = String(controller.logs.find((l) => l.msg === 'API listening')?.api);
  const metrics = await (await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
  const alertCount = (reason: string, state: string): number => {
    const line = metrics.split('\n').find((l) => l.startsWith('underlay_alerts_total{') && l.includes(`reason="${reason}"`) && l.includes(`state="${state}"`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };
  t.is(alertCount('DriftDetected', 'firing'), 1, 'the alerts counter counts the notification sent');
  t.is(alertCount('DriftDetected', 'resolved'), 1);
  const checked = controller.logs.filter((l) => l.msg === 'drift checked' && Array.isArray(l.corrected) && (l.corrected as string[]).includes('node1/file:/etc/motd'));
  t.is(checked.length, 1, 'corrected once');
  const secrets = [HMAC_KEY, API_TOKEN, ...(await readFile(path.join(site().secretsDir, 'ssh-client-key'), 'utf8')).split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))];
  for (const secret of secrets) {
    t.false(controller.output().includes(secret), 'no secret in the logs');
    for (const d of deliveries) t.false(d.body.includes(secret), 'no secret in an alert');
  }
  t.is(await controller.stop(), 0);
});
