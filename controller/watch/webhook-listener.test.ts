/** The webhook listener with TLS, using a certificate made by the real openssl. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '../clock.js';
import { MemoryDeliveryLog } from './delivery-log.js';
import { webhookHandler } from './webhook-handler.js';
import { startWebhookListener } from './webhook-listener.js';
import { openssl, withTempDir } from '../../test/support/openssl.js';
import { deliver, signedDelivery } from '../../test/support/webhook-deliveries.js';
import { checkBoundedDeliveryLog } from '../../test/support/delivery-log-contract.js';

function selfSigned(): { cert: string; key: string } {
  return withTempDir((dir) => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  });
}

test('with TLS the listener serves https, and a signed push over it is accepted', async (t) => {
  const tls = selfSigned();
  const pushes: string[] = [];
  const handler = webhookHandler({ sites: () => [{ site: 'lab', provider: 'github', secret: 's3cret' }], clock: systemClock, onPush: (s) => pushes.push(s) });
  const listener = await startWebhookListener({ host: '127.0.0.1', port: 0, tls }, handler);
  t.teardown(() => listener.close());
  t.regex(listener.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const answer = await deliver(`${listener.url}/hooks/lab`, signedDelivery('github', 's3cret'), { ca: tls.cert });
  t.is(answer.status, 202);
  t.deepEqual(pushes, ['lab']);
  await t.throwsAsync(deliver(`${listener.url}/hooks/lab`, signedDelivery('github', 's3cret')), { message: /self.signed|certificate/i }, 'a client that does not trust the certificate does not talk to it');
});

test('a port already taken is an error from start, not a listener that never answers', async (t) => {
  const first = await startWebhookListener({ host: '127.0.0.1', port: 0 }, (_req, res) => res.end());
  t.teardown(() => first.close());
  const port = Number(new URL(first.url).port);
  await t.throwsAsync(startWebhookListener({ host: '127.0.0.1', port }, (_req, res) => res.end()), { code: 'EADDRINUSE' });
});

test('the replay log is bounded: past its capacity the oldest ids are forgotten', (t) => {
  checkBoundedDeliveryLog(t, new MemoryDeliveryLog(3));
});
