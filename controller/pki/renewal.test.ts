import test from 'ava';
import { DEFAULT_RENEWAL, type IssuedCertificateFacts, renewalDecision, roughly } from './renewal.js';

const DAY = 86_400_000;
const issued = '2026-12-01T00:00:00.000Z';
const cert = (node: string, serial = '4a1f'): IssuedCertificateFacts => ({ node, certificate: 'etcd-peer', serial, notBefore: new Date(issued), notAfter: new Date(Date.parse(issued) + 30 * DAY) });
const at = (days: number): Date => new Date(Date.parse(issued) + days * DAY);

test('a 30-day certificate renews at two thirds of its life, at most a day early, and says how long it has left', (t) => {
  const c = cert('node1');
  const { renewAt } = renewalDecision(c, at(0));
  t.true(renewAt.getTime() <= at(20).getTime() && renewAt.getTime() >= at(19).getTime(), renewAt.toISOString());
  t.deepEqual(renewalDecision(c, at(10)), { renew: false, renewAt, reason: `renews in ${roughly(renewAt.getTime() - at(10).getTime())}` });
  t.deepEqual(renewalDecision(c, at(18)).renew, false);
  t.deepEqual(renewalDecision(c, at(20)), { renew: true, renewAt, reason: 'renew: expires in 10 days' });
  t.is(renewalDecision(c, at(29.5)).reason, 'renew: expires in 12 hours');
  t.is(renewalDecision(c, at(32)).reason, 'renew: expired 2 days ago');
  t.is(renewalDecision(c, new Date(at(30).getTime() + 60_000)).reason, 'renew: expired 1 minute ago');
});

test('the offset is the same on every run, and differs across a fleet and with a new serial', (t) => {
  t.deepEqual(renewalDecision(cert('node1'), at(0)), renewalDecision(cert('node1'), at(0)));
  t.notDeepEqual(renewalDecision(cert('node1', '4a1f'), at(0)).renewAt, renewalDecision(cert('node1', '4a20'), at(0)).renewAt);
  // 1,000 nodes issued in the same second: spread over the day before the two-thirds mark, not in one minute.
  const minutes = new Set(Array.from({ length: 1000 }, (_, i) => Math.floor(renewalDecision(cert(`node${i}`), at(0)).renewAt.getTime() / 60_000)));
  t.true(minutes.size > 400, `${minutes.size} distinct minutes`);
  for (const m of minutes) t.true(m * 60_000 >= at(19).getTime() - 60_000 && m * 60_000 <= at(20).getTime());
});

test('the spread is bounded by a share of the lifetime for short certificates', (t) => {
  const short: IssuedCertificateFacts = { node: 'n', certificate: 'c', serial: '01', notBefore: new Date(issued), notAfter: new Date(Date.parse(issued) + 3 * 3_600_000) };
  const { renewAt } = renewalDecision(short, at(0));
  const twoThirds = Date.parse(issued) + 2 * 3_600_000;
  t.true(renewAt.getTime() <= twoThirds && renewAt.getTime() >= twoThirds - 0.1 * 3 * 3_600_000);
  t.is(DEFAULT_RENEWAL.fraction, 2 / 3);
});
