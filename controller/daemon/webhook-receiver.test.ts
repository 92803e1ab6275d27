/**
 * The controller's webhook listener over real HTTP, around the real supervisor: a verified push asks the
 * site for a reconcile (a burst of 100 gives 2 reconciles), a bad signature gets 401 and asks nothing, a replay is dropped,
 * and each delivery is counted by result on /metrics. The checks themselves are tested in controller/watch.
 */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { DirectorySecretStore } from '../secrets/secret-store.js';
import { configText, startControllerHarness } from '../../test/support/controller-harness.js';
import { deliver, signedDelivery } from '../../test/support/webhook-deliveries.js';
import { parsePrometheusText, sampleValue } from '../../test/support/prometheus-text.js';
import { parseControllerConfig } from './controller-config.js';
import { startWebhookReceiver } from './webhook-receiver.js';

const SECRET = 'github-hook-secret-9d3e';

test('a verified push reconciles the site (a burst of 100 gives 2 reconciles); a bad signature is 401 and reconciles nothing; a replay is dropped', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-hooks-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'lab-hook'), SECRET, { mode: 0o600 });
  const text = configText('  - name: lab\n    source: {repository: /srv/lab, webhook: {provider: github, secret: lab-hook}}\n').replace('sites:', 'webhooks: {listen: "127.0.0.1:0"}\nsites:');
  const h = await startControllerHarness(text);
  t.teardown(() => h.close());
  const receiver = await startWebhookReceiver(parseControllerConfig('/test/controller.yaml', text), {
    clock: h.time.clock,
    metrics: h.metrics,
    logger: pino({ level: 'silent' }),
    secretsOf: () => new DirectorySecretStore(dir),
    onPush: (site) => void h.daemon.site(site)?.request('webhook'),
  });
  t.teardown(() => receiver!.close());
  const hook = `${receiver!.url}/hooks/lab`;
  await h.open[0]!.finish((state) => ({ type: 'continue', state }));
  t.is(h.started.length, 1);

  const forged = await deliver(hook, signedDelivery('github', SECRET, { signWith: 'not-the-secret' }));
  t.is(forged.status, 401);
  t.is(h.started.length, 1, 'a bad signature reconciles nothing');

  const first = signedDelivery('github', SECRET);
  t.is((await deliver(hook, first)).status, 202);
  for (let i = 0; i < 99; i++) t.is((await deliver(hook, signedDelivery('github', SECRET))).status, 202);
  t.is((await deliver(hook, first)).status, 200, 'the replay is answered and dropped');
  t.is(h.started.length, 2, 'the first push started a reconcile; the burst waits as one pending');
  await h.open[0]!.finish((state) => ({ type: 'continue', state }));
  await h.open[0]!.finish((state) => ({ type: 'continue', state }));
  t.is(h.started.length, 3, '100 pushes, 2 reconciles');

  const metrics = parsePrometheusText(await (await fetch(`${h.api.url}/metrics`)).text());
  t.is(sampleValue(metrics, 'underlay_webhook_requests_total', { site: 'lab', result: 'accepted' }), 100);
  t.is(sampleValue(metrics, 'underlay_webhook_requests_total', { site: 'lab', result: 'bad-signature' }), 1);
  t.is(sampleValue(metrics, 'underlay_webhook_requests_total', { site: 'lab', result: 'replayed' }), 1);
});
