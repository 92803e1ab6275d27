/**
 * The alerter against a real local HTTP sink (node:http), with a clock and timers the test moves by hand:
 * one notification per incident, reminders, resolved notifications, HMAC-signed webhook bodies, Slack
 * bodies, retries with backoff that never hold up the caller, incidents that survive a restart, and no
 * secret in any payload. The payloads are golden files here (`UPDATE_GOLDEN=1 npx ava test/alerts/alerts.test.ts`).
 */
import test from 'ava';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Clock, Timers } from '../../controller/clock.js';
import type { Alert } from '../../controller/alerts/alert.js';
import type { AlertRoute } from '../../controller/alerts/alert-route.js';
import { createAlerter, type AlerterOptions } from '../../controller/alerts/create-alerter.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';

const update = process.env.UPDATE_GOLDEN === '1';
const HMAC_KEY = 'hmac-key-of-the-lab-route';
const API_TOKEN = 'api-token-0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver answering with `statuses` in turn (then 200), recording every request. */
async function sink(t: import('ava').ExecutionContext, statuses: number[] = []): Promise<{ url: string; received: Received[]; count(n: number): Promise<void> }> {
  const received: Received[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      for (const w of waiting.filter((x) => received.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const count = (n: number): Promise<void> => (received.length >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve })));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, count };
}

/** Time moves only when the test says; sleeps and periodic tasks wait for the test too. */
function handTime(start = '2026-01-01T10:00:00.000Z') {
  let now = Date.parse(start);
  const sleeps: { ms: number; wake: () => void }[] = [];
  const tasks: (() => Promise<void>)[] = [];
  const clock: Clock = { now: () => new Date(now) };
  const timers: Timers = {
    every: (_ms, task) => (tasks.push(task), () => void tasks.splice(tasks.indexOf(task), 1)),
    sleep: (ms) => new Promise((wake) => sleeps.push({ ms, wake })),
  };
  return {
    clock,
    timers,
    sleeps,
    advance: (ms: number) => void (now += ms),
    runPeriodic: () => Promise.all(tasks.map((task) => task())),
    /** Waits until a retry is sleeping, then ends its sleep; returns how long it was to sleep. */
    async wakeRetry(): Promise<number> {
      for (let i = 0; i < 1000 && sleeps.length === 0; i++) await new Promise((r) => setImmediate(r));
      const s = sleeps.shift();
      if (!s) throw new Error('no retry is waiting');
      s.wake();
      return s.ms;
    },
  };
}

const drift: Alert = {
  site: 'lab',
  reason: 'DriftDetected',
  key: 'node1/file:/etc/motd',
  summary: 'node1 file:/etc/motd drifted: content changed (sha256 5f1c2a9e -> 0d3e7b41)',
  details: { target: 'node1', resource: 'file:/etc/motd', ageSeconds: 0, note: `the API token ${API_TOKEN} leaked into a message` },
};

const secrets: AlerterOptions['secrets'] = {
  read: (name) => (name === 'alert-hmac' ? Promise.resolve(Buffer.from(`${HMAC_KEY}\n`)) : Promise.reject(new Error(`no secret ${name}`))),
  values: () => Promise.resolve([API_TOKEN]),
};

function alerter(routes: AlertRoute[], time: ReturnType<typeof handTime>, extra: Partial<AlerterOptions> = {}) {
  return createAlerter({ routes, clock: time.clock, timers: time.timers, fetch, secrets, random: () => 0.5, reminderEvery: 60 * 60_000, ...extra });
}

function golden(t: import('ava').ExecutionContext, name: string, body: string): void {
  const file = path.join(import.meta.dirname, name);
  const pretty = JSON.stringify(JSON.parse(body), null, 2) + '\n';
  if (update) writeFileSync(file, pretty);
  t.is(pretty, existsSync(file) ? readFileSync(file, 'utf8') : '(missing golden: run with UPDATE_GOLDEN=1)', name);
}

test('webhook: one signed notification per incident, a resolved one when it clears, and no secret in either', async (t) => {
  const hook = await sink(t);
  const time = handTime();
  const notices: string[] = [];
  const a = alerter([{ type: 'webhook', url: hook.url, secret: 'alert-hmac', name: 'lab-hook' }], time, { onNotify: (n) => void notices.push(`${n.status} ${n.reason} ${n.key}`) });
  a.raise(drift);
  a.raise({ ...drift, details: { ...drift.details, ageSeconds: 300 } });
  await a.settled();
  t.is(hook.received.length, 1, 'raised twice, notified once');
  const [first] = hook.received;
  t.is(first?.headers['x-underlay-signature'], `sha256=${createHmac('sha256', HMAC_KEY).update(first?.body ?? '').digest('hex')}`);
  t.is(first?.headers['content-type'], 'application/json');
  golden(t, 'webhook-drift-firing.json', first?.body ?? '{}');

  time.advance(120_000);
  a.resolve('lab', 'DriftDetected', drift.key);
  a.resolve('lab', 'DriftDetected', drift.key);
  await a.settled();
  t.is(hook.received.length, 2, 'resolved once');
  t.deepEqual(notices, ['firing DriftDetected node1/file:/etc/motd', 'resolved DriftDetected node1/file:/etc/motd']);
  golden(t, 'webhook-drift-resolved.json', hook.received[1]?.body ?? '{}');
  for (const r of hook.received) {
    t.false(r.body.includes(API_TOKEN));
    t.false(r.body.includes(HMAC_KEY));
  }
  await a.close();
});

test('slack: an incoming-webhook body with text and blocks, unsigned', async (t) => {
  const hook = await sink(t);
  const a = alerter([{ type: 'slack', url: hook.url }], handTime());
  a.raise({ site: 'lab', reason: 'RolloutHalted', key: 'etcd', summary: 'rollout of cluster etcd halted: node2 failed its health check', details: { cluster: 'etcd', failed: ['node2'], budget: 0 } });
  await a.settled();
  t.is(hook.received[0]?.headers['x-underlay-signature'], undefined);
  golden(t, 'slack-rollout-halted.json', hook.received[0]?.body ?? '{}');
  await a.close();
});

test('a reminder goes out while the incident stays open, at the reminder interval, per route', async (t) => {
  const hourly = await sink(t);
  const daily = await sink(t);
  const time = handTime();
  const a = alerter([{ type: 'webhook', url: hourly.url, secret: 'alert-hmac' }, { type: 'slack', url: daily.url, reminder: '1d' }], time);
  a.raise({ site: 'lab', reason: 'SourceUnreachable', key: '', summary: 'the repository cannot be fetched', details: {} });
  await a.settled();
  time.advance(59 * 60_000);
  await time.runPeriodic();
  await a.settled();
  t.deepEqual([hourly.received.length, daily.received.length], [1, 1], 'not yet');
  time.advance(60_000);
  await time.runPeriodic();
  await a.settled();
  t.deepEqual([hourly.received.length, daily.received.length], [2, 1]);
  t.like(JSON.parse(hourly.received[1]?.body ?? '{}'), { status: 'reminder', event: 'SourceUnreachable', openedAt: '2026-01-01T10:00:00.000Z', sentAt: '2026-01-01T11:00:00.000Z' });
  golden(t, 'webhook-source-unreachable-reminder.json', hourly.received[1]?.body ?? '{}');
  await a.close();
});

test('a failed delivery is retried with growing delays, and raise never waits for it', async (t) => {
  const hook = await sink(t, [500, 503]);
  const time = handTime();
  const a = alerter([{ type: 'webhook', url: hook.url, secret: 'alert-hmac' }], time);
  a.raise({ site: 'lab', reason: 'ApplyFailed', key: 'node2', summary: 'apply failed on node2', details: {} });
  t.is(hook.received.length, 0, 'raise returned before anything was sent');
  await hook.count(1);
  const first = await time.wakeRetry();
  await hook.count(2);
  const second = await time.wakeRetry();
  await hook.count(3);
  await a.settled();
  t.is(hook.received.length, 3);
  t.deepEqual([first, second], [750, 1500], 'equal jitter (random 0.5) around caps of 1 s and 2 s');
  t.is(hook.received[2]?.body, hook.received[0]?.body, 'the same notification, retried');
  await a.close();
});

test('a delivery given up after its attempts is reported, and the next notification still goes', async (t) => {
  const hook = await sink(t, [500, 500]);
  const time = handTime();
  const errors: string[] = [];
  const a = alerter([{ type: 'webhook', url: hook.url, secret: 'alert-hmac', name: 'flaky' }], time, { maxAttempts: 2, onError: (m) => errors.push(m) });
  a.raise({ site: 'lab', reason: 'SignatureRefused', key: 'abc123', summary: 'commit abc123 is not signed by an allowed key', details: {} });
  await hook.count(1);
  await time.wakeRetry();
  await hook.count(2);
  a.resolve('lab', 'SignatureRefused', 'abc123');
  await hook.count(3);
  await a.settled();
  t.regex(errors[0] ?? '', /alert route flaky: delivery given up after 2 attempts: alert route answered 500/);
  t.like(JSON.parse(hook.received[2]?.body ?? '{}'), { status: 'resolved', event: 'SignatureAccepted' });
  await a.close();
});

test('incidents survive a restart: an open one is not alerted again, and is still resolved', async (t) => {
  const hook = await sink(t);
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: handTime().clock });
  t.teardown(() => store.close());
  const routes: AlertRoute[] = [{ type: 'webhook', url: hook.url, secret: 'alert-hmac' }];
  const before = alerter(routes, handTime(), { store: store.alertIncidents() });
  before.raise(drift);
  await before.settled();
  await before.close();
  t.is(hook.received.length, 1);

  const after = alerter(routes, handTime('2026-01-01T10:30:00.000Z'), { store: store.alertIncidents() });
  after.raise(drift);
  await after.settled();
  t.is(hook.received.length, 1, 'open before the restart: not alerted again');
  after.resolve('lab', 'DriftDetected', drift.key);
  await after.settled();
  t.like(JSON.parse(hook.received[1]?.body ?? '{}'), { status: 'resolved', event: 'DriftResolved', openedAt: '2026-01-01T10:00:00.000Z', resolvedAt: '2026-01-01T10:30:00.000Z' });
  t.deepEqual(await store.alertIncidents().open(), []);
  await after.close();
});
