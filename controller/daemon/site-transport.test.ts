import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Revision } from '../source/revision.js';
import type { SshTransportOptions } from '../transport/ssh-transport.js';
import { SiteTransport, type ClosableTransport } from './site-transport.js';

/**
 * What is under test is which transport the site gets and when one is closed, not SSH: the transports are
 * stand-ins that count their closes (the real SshTransport and its reuse by node key are tested in
 * controller/transport). The client key is a real file.
 */
function site(keepaliveIntervalMs = 5000) {
  const dir = mkdtempSync(path.join(tmpdir(), 'underlay-site-transport-'));
  const key = path.join(dir, 'ssh-client-key');
  writeFileSync(key, 'key one', { mode: 0o600 });
  const opened: (ClosableTransport & { closed: number; id: number })[] = [];
  let failNext = false;
  let interval = keepaliveIntervalMs;
  const transports = new SiteTransport({
    settings: () => Promise.resolve<SshTransportOptions>({ auth: { type: 'key-file', path: key }, keepaliveIntervalMs: interval }),
    open: () => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('SshAgentMissing'));
      }
      const t = { id: opened.length + 1, closed: 0, exec: () => Promise.reject(new Error('not used')), close: () => Promise.resolve(void t.closed++) };
      opened.push(t);
      return Promise.resolve(t);
    },
  });
  return { transports, opened, rotate: (content: string) => writeFileSync(key, content), failNextOpen: () => (failNext = true), setInterval: (ms: number) => (interval = ms) };
}

const revision = {} as Revision;

test('a site gets the same transport from run to run while its key and settings stay the same', async (t) => {
  const s = site();
  const first = await s.transports.get(revision);
  t.is(await s.transports.get(revision), first);
  t.is(s.opened.length, 1);
  t.is(s.opened[0]!.closed, 0, 'kept open between runs');
  await s.transports.close();
  t.is(s.opened[0]!.closed, 1, 'closed when the site stops');
});

test('a rotated client key or a changed keepalive rule gets a new transport, and the old one is closed', async (t) => {
  const s = site();
  const first = await s.transports.get(revision);
  s.rotate('key two');
  const second = await s.transports.get(revision);
  t.not(second, first);
  t.is(s.opened[0]!.closed, 1);
  s.setInterval(1000);
  const third = await s.transports.get(revision);
  t.not(third, second);
  t.is(s.opened[1]!.closed, 1);
  t.is(s.opened[2]!.closed, 0);
});

test('a transport that could not be made is not kept: the next run tries again', async (t) => {
  const s = site();
  s.failNextOpen();
  await t.throwsAsync(s.transports.get(revision), { message: 'SshAgentMissing' });
  const next = await s.transports.get(revision);
  t.is((next as unknown as { id: number }).id, 1);
});
