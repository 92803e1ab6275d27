/**
 * The webhook receiver over real HTTP, with real HMACs computed the way each Git host does, and the clock
 * moved by the test for the rate limit.
 */
import test, { type ExecutionContext } from 'ava';
import * as http from 'node:http';
import { steppingClock, type Clock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { webhookHandler, type WebhookHandlerOptions, type WebhookRefusal, type WebhookSite } from './webhook-handler.js';
import { startWebhookListener } from './webhook-listener.js';
import type { WebhookProvider } from './webhook-provider.js';
import { deliver, deliverBurst, signedDelivery } from '../../test/support/webhook-deliveries.js';

interface Receiver {
  url: string;
  pushes: string[];
  refused: [string | undefined, WebhookRefusal][];
  clock: Clock & { advance(ms: number): void };
  sites: WebhookSite[];
}

async function receiver(t: ExecutionContext, sites: WebhookSite[], opts: Partial<WebhookHandlerOptions> = {}): Promise<Receiver> {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const r: Receiver = { url: '', pushes: [], refused: [], clock, sites };
  const handler = webhookHandler({
    sites: () => r.sites,
    clock,
    onPush: (site) => r.pushes.push(site),
    onRefused: (site, reason) => r.refused.push([site, reason]),
    ...opts,
  });
  const listener = await startWebhookListener({ host: '127.0.0.1', port: 0 }, handler);
  t.teardown(() => listener.close());
  r.url = listener.url;
  return r;
}

const SECRET = 'correct horse battery staple';

for (const provider of ['github', 'gitlab', 'gitea'] as WebhookProvider[]) {
  test(`${provider}: a signed push is accepted and becomes onPush(site); a forged one gets 401 and nothing`, async (t) => {
    const r = await receiver(t, [{ site: 'lab', provider, secret: SECRET }]);
    const ok = await deliver(`${r.url}/hooks/lab`, signedDelivery(provider, SECRET));
    t.is(ok.status, 202);
    t.deepEqual(r.pushes, ['lab']);

    const forged = await deliver(`${r.url}/hooks/lab`, signedDelivery(provider, SECRET, { signWith: 'guessed' }));
    t.is(forged.status, 401);
    t.deepEqual(r.pushes, ['lab'], 'no push from a bad signature');
    t.deepEqual(r.refused, [['lab', 'bad-signature']]);
    t.false(forged.body.includes(SECRET) || forged.body.includes('guessed'), 'the answer echoes no secret');
  });

  test(`${provider}: a delivery without its signature header gets 401`, async (t) => {
    const r = await receiver(t, [{ site: 'lab', provider, secret: SECRET }]);
    const delivery = signedDelivery(provider, SECRET);
    const headers = Object.fromEntries(Object.entries(delivery.headers).filter(([k]) => !/signature|token/i.test(k)));
    const answer = await deliver(`${r.url}/hooks/lab`, { ...delivery, headers });
    t.is(answer.status, 401);
    t.deepEqual(r.pushes, []);
    t.deepEqual(r.refused, [['lab', 'missing-signature']]);
  });

  test(`${provider}: a replayed delivery id is answered and dropped`, async (t) => {
    const r = await receiver(t, [
      { site: 'lab', provider, secret: SECRET },
      { site: 'prod', provider, secret: SECRET },
    ]);
    const delivery = signedDelivery(provider, SECRET, { id: 'd-1' });
    t.is((await deliver(`${r.url}/hooks/lab`, delivery)).status, 202);
    const replay = await deliver(`${r.url}/hooks/lab`, delivery);
    t.is(replay.status, 200);
    t.regex(replay.body, /seen before/);
    t.is((await deliver(`${r.url}/hooks/prod`, delivery)).status, 202, 'ids are per receiver: another site has its own');
    t.deepEqual(r.pushes, ['lab', 'prod']);
    t.deepEqual(r.refused, [['lab', 'replayed']]);
  });
}

test('github: the HMAC is over the raw bytes received, however odd; one byte changed fails it', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }]);
  // Not JSON-normalised, with a byte that is not UTF-8: decoding or re-serialising would change the HMAC input.
  const body = Buffer.concat([Buffer.from('{ "ref" :  "refs/heads/main",\r\n "x": "'), Buffer.from([0xff, 0xfe]), Buffer.from('" }')]);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { body }))).status, 202);
  const tampered = signedDelivery('github', SECRET, { body });
  tampered.body = Buffer.from(tampered.body);
  tampered.body[5] = tampered.body[5]! ^ 1;
  t.is((await deliver(`${r.url}/hooks/lab`, tampered)).status, 401);
  t.deepEqual(r.pushes, ['lab']);
});

test('github: the old SHA-1 signature, or a signature without its sha256= prefix, is refused', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }]);
  const good = signedDelivery('github', SECRET);
  const hex = good.headers['X-Hub-Signature-256']!.slice('sha256='.length);
  const bare = { ...good, headers: { ...good.headers, 'X-Hub-Signature-256': hex } };
  t.is((await deliver(`${r.url}/hooks/lab`, bare)).status, 401);
  const rest = Object.fromEntries(Object.entries(good.headers).filter(([k]) => k !== 'X-Hub-Signature-256'));
  const sha1 = { ...good, headers: { ...rest, 'X-Hub-Signature': `sha1=${hex.slice(0, 40)}` } };
  t.is((await deliver(`${r.url}/hooks/lab`, sha1)).status, 401);
  t.deepEqual(r.pushes, []);
});

test('a signed delivery without a delivery id gets 400 and no push', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'gitea', secret: SECRET }]);
  const delivery = signedDelivery('gitea', SECRET);
  delete delivery.headers['X-Gitea-Delivery'];
  t.is((await deliver(`${r.url}/hooks/lab`, delivery)).status, 400);
  t.deepEqual(r.pushes, []);
  t.deepEqual(r.refused, [['lab', 'missing-delivery-id']]);
});

test('only push events trigger: a ping or an issue event is answered and ignored', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }]);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { event: 'ping' }))).status, 200);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { event: 'issues' }))).status, 200);
  const gitlab = await receiver(t, [{ site: 'lab', provider: 'gitlab', secret: SECRET }]);
  t.is((await deliver(`${gitlab.url}/hooks/lab`, signedDelivery('gitlab', SECRET, { event: 'Tag Push Hook' }))).status, 202, 'a tag push may move a tag the site follows');
  t.deepEqual(r.pushes, []);
  t.deepEqual(r.refused, []);
});

test('a body over the cap gets 413, declared or streamed, and no push', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }], { maxBodyBytes: 1024 });
  const big = signedDelivery('github', SECRET, { body: 'x'.repeat(2048) });
  t.is((await deliver(`${r.url}/hooks/lab`, big)).status, 413);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { body: 'y'.repeat(2048) }), { chunked: true })).status, 413);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { body: 'z'.repeat(1024) }), { chunked: true })).status, 202, 'exactly the cap fits');
  t.deepEqual(r.pushes, ['lab']);
  t.deepEqual(r.refused, [
    ['lab', 'too-large'],
    ['lab', 'too-large'],
  ]);
});

test('the rate limit refuses with 429 past its budget, and lets requests through again as time passes', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }, { site: 'other', provider: 'github', secret: SECRET }], { ratePerMinute: 3 });
  const statuses = await deliverBurst(`${r.url}/hooks/lab`, 'github', SECRET, 4);
  t.deepEqual([...statuses].sort(), [202, 202, 202, 429]);
  const limited = await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET));
  t.is(limited.status, 429);
  t.is(limited.headers['retry-after'], '20');
  t.is((await deliver(`${r.url}/hooks/other`, signedDelivery('github', SECRET))).status, 202, 'each receiver has its own budget');
  r.clock.advance(20_000);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET))).status, 202);
  t.is(r.pushes.filter((s) => s === 'lab').length, 4);
});

test('a forged delivery counts against the rate limit too', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }], { ratePerMinute: 2 });
  for (let i = 0; i < 2; i++) t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { signWith: 'guess' }))).status, 401);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET))).status, 429);
  t.deepEqual(r.pushes, []);
});

test('unknown sites get 404, other paths 404, other methods 405', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }]);
  t.is((await deliver(`${r.url}/hooks/nope`, signedDelivery('github', SECRET))).status, 404);
  t.is((await deliver(`${r.url}/hooks/lab/extra`, signedDelivery('github', SECRET))).status, 404);
  t.is((await deliver(`${r.url}/`, signedDelivery('github', SECRET))).status, 404);
  const get = await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET), { method: 'PUT' });
  t.is(get.status, 405);
  t.is(get.headers.allow, 'POST');
  t.deepEqual(r.pushes, []);
});

test('the sites are read per request: a rotated secret applies to the next delivery', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'gitea', secret: 'old' }]);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('gitea', 'old'))).status, 202);
  r.sites = [{ site: 'lab', provider: 'gitea', secret: 'new' }];
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('gitea', 'old'))).status, 401);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('gitea', 'new'))).status, 202);
});

test('a site with an empty secret refuses every delivery (an empty HMAC key is forgeable)', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: '' }]);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', ''))).status, 401);
  t.deepEqual(r.pushes, []);
  t.deepEqual(r.refused, [['lab', 'no-secret']]);
});

test('100 deliveries in a burst: 100 onPush calls, and the handler does nothing else for them', async (t) => {
  // onPush is all a delivery costs the receiver; coalescing them into one reconcile is the daemon queue's job.
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }]);
  const statuses = await deliverBurst(`${r.url}/hooks/lab`, 'github', SECRET, 100);
  t.deepEqual(new Set(statuses), new Set([202]));
  t.is(r.pushes.length, 100);
  t.deepEqual(r.refused, []);
});

test('when onPush throws, the delivery gets 500 and its retry is not taken for a replay', async (t) => {
  let fail = true;
  const pushes: string[] = [];
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }], {
    onPush: (site) => {
      if (fail) throw new Error('queue closed');
      pushes.push(site);
    },
  });
  const delivery = signedDelivery('github', SECRET);
  t.is((await deliver(`${r.url}/hooks/lab`, delivery)).status, 500);
  fail = false;
  t.is((await deliver(`${r.url}/hooks/lab`, delivery)).status, 202);
  t.deepEqual(pushes, ['lab']);
});

/** A delivery whose body is sent in two halves: the first now, the rest when `finish` is called. */
function slowDelivery(url: string, provider: WebhookProvider): { finish(): Promise<number>; abort(): void } {
  const delivery = signedDelivery(provider, SECRET);
  let status: (code: number) => void = () => undefined;
  const answered = new Promise<number>((resolve) => (status = resolve));
  const req = http.request(url, { method: 'POST', headers: delivery.headers, agent: false }, (res) => {
    res.resume();
    status(res.statusCode ?? 0);
  });
  req.on('error', () => status(0));
  req.write(delivery.body.subarray(0, 10));
  return {
    finish: () => {
      req.end(delivery.body.subarray(10));
      return answered;
    },
    abort: () => req.destroy(),
  };
}

test('bodies received at once are capped per site (503), and a slot frees when its upload ends or is abandoned', async (t) => {
  const r = await receiver(t, [{ site: 'lab', provider: 'github', secret: SECRET }, { site: 'other', provider: 'github', secret: SECRET }], { maxInFlight: 2, ratePerMinute: 10_000 });
  const slow = [slowDelivery(`${r.url}/hooks/lab`, 'github'), slowDelivery(`${r.url}/hooks/lab`, 'github')];
  // The server counts a slow upload once its headers are in; wait for that by probing until the cap shows.
  let probe = 0;
  for (let i = 0; i < 200 && probe !== 503; i++) probe = (await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { event: 'ping' }))).status;
  t.is(probe, 503);
  t.is((await deliver(`${r.url}/hooks/other`, signedDelivery('github', SECRET))).status, 202, 'another site has its own slots');
  t.deepEqual(await Promise.all(slow.map((s) => s.finish())), [202, 202]);
  t.is((await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET))).status, 202);

  const abandoned = [slowDelivery(`${r.url}/hooks/lab`, 'github'), slowDelivery(`${r.url}/hooks/lab`, 'github')];
  probe = 0;
  for (let i = 0; i < 200 && probe !== 503; i++) probe = (await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET, { event: 'ping' }))).status;
  t.is(probe, 503, 'both abandoned uploads hold a slot');
  for (const a of abandoned) a.abort();
  let after = 503;
  for (let i = 0; i < 200 && after === 503; i++) after = (await deliver(`${r.url}/hooks/lab`, signedDelivery('github', SECRET))).status;
  t.is(after, 202);
  t.true(r.refused.some(([site, reason]) => site === 'lab' && reason === 'busy'));
});

test('with the store as its delivery log, a handler made afresh (a restart) drops a replay the first one accepted', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  t.teardown(() => store.close());
  const sites = [{ site: 'lab', provider: 'github' as const, secret: SECRET }];
  const first = await receiver(t, sites, { deliveryLog: () => store.webhookDeliveries() });
  const delivery = signedDelivery('github', SECRET);
  t.is((await deliver(`${first.url}/hooks/lab`, delivery)).status, 202);

  const restarted = await receiver(t, sites, { deliveryLog: () => store.webhookDeliveries() });
  const replay = await deliver(`${restarted.url}/hooks/lab`, delivery);
  t.is(replay.status, 200);
  t.deepEqual(restarted.pushes, []);
  t.deepEqual(restarted.refused, [['lab', 'replayed']]);
  const inMemory = await receiver(t, sites);
  t.is((await deliver(`${inMemory.url}/hooks/lab`, delivery)).status, 202, 'the in-memory default forgets what another handler saw');
});
