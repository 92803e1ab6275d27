/** The supervisor: reload (SIGHUP) and stop (SIGTERM), with reconciles whose steps the test gives. */
import test from 'ava';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeKeyPair, startSshd, tempDir } from '../../test/support/sshd.js';
import type { Revision } from '../source/revision.js';
import { configText, noDrift, startControllerHarness } from '../../test/support/controller-harness.js';
import { parseControllerConfig } from './controller-config.js';

const site = (name: string, extra = '') => `  - name: ${name}\n    source: { repository: /srv/${name} }\n${extra}`;
const config = (text: string) => parseControllerConfig('/test/controller.yaml', configText(text));

test('reload: a site added starts, one removed stops after its running reconcile, one changed is supervised anew', async (t) => {
  const h = await startControllerHarness(configText(site('lab') + site('edge') + site('old')));
  t.teardown(() => h.close());
  await h.open.find((c) => c.site === 'edge')!.finish((state) => ({ type: 'continue', state }));
  const result = h.daemon.reload(config(site('lab') + site('edge', '    concurrency: 2\n') + site('new')));
  t.deepEqual(result, { added: ['new'], removed: ['old'], changed: ['edge'] });
  t.deepEqual(h.daemon.sites().map((s) => s.name).sort(), ['edge', 'lab', 'new']);
  t.is(h.daemon.site('edge')?.config.concurrency, 2);
  t.deepEqual(h.started.map((c) => c.site).sort(), ['edge', 'edge', 'lab', 'new', 'old'], 'edge and new reconcile at once; lab is left running as it was');
  t.deepEqual(h.daemon.readiness().waiting.sort(), ['edge', 'lab', 'new'], 'a site supervised anew is attempted again');
});

test('stop: nothing starts after it, the apply is told to begin no change, and it waits for the running reconcile up to its bound', async (t) => {
  const h = await startControllerHarness(configText(site('lab') + site('edge')));
  t.teardown(() => h.close());
  await h.open.find((c) => c.site === 'edge')!.finish((state) => ({ type: 'continue', state }));
  const lab = h.open.find((c) => c.site === 'lab')!;
  t.is(lab.stopRequested(), undefined);
  let stopped: { finished: boolean; running: string[] } | undefined;
  const stopping = h.daemon.stop(30_000).then((r) => (stopped = r));
  await new Promise((r) => setImmediate(r));
  t.is(stopped, undefined, 'lab is still reconciling');
  t.is(lab.stopRequested(), 'ControllerStopping', 'its apply begins no further change');
  t.false(h.daemon.readiness().ready, 'a stopping controller is not ready');
  t.is(h.daemon.site('edge')?.request('api'), 'stopped');
  await h.time.advance(29_999);
  t.is(stopped, undefined);
  await h.time.advance(1);
  await stopping;
  t.deepEqual(stopped, { finished: false, running: ['lab'] }, 'the bound passed with lab still running');
});

test('drift is checked on the site\'s schedule and after a run that applied something, not after one that did not', async (t) => {
  const h = await startControllerHarness(configText(site('lab', '    drift: {schedule: "*/10 * * * *"}\n')));
  t.teardown(() => h.close());
  const applied = { runId: 1, planHash: 'p', status: 'succeeded' as const, results: [{ id: 'n1/file:/a', node: 'n1', key: 'file:/a', kind: 'file' as const, action: 'update' as const, outcome: 'applied' as const }], nodes: {}, conditions: [] };
  await h.open[0]!.finish((state) => ({ type: 'continue', state: { ...state, changeSet: applied } }));
  t.deepEqual(h.drift, ['lab'], 'checked after the apply');
  h.daemon.site('lab')!.request('api');
  await h.open[0]!.finish((state) => ({ type: 'continue', state: { ...state, changeSet: { ...applied, results: [] } } }));
  t.deepEqual(h.drift, ['lab'], 'a run with nothing applied leaves drift to the schedule');
  await h.time.advance(10 * 60_000);
  t.deepEqual(h.drift, ['lab', 'lab'], 'the schedule at 00:10');
  t.like((await fetch(`${h.api.url}/api/v1/sites/lab`, { headers: { authorization: `Bearer ${h.token}` } }).then((r) => r.json())) as object, { drift: { drifted: 0, outcome: 'done' } });
});

test('each site is registered to this controller while it runs, its heartbeat refreshed, and registered again if someone removed it', async (t) => {
  const h = await startControllerHarness(configText(site('lab')));
  t.teardown(() => h.close());
  const registrations = h.daemon.site('lab')!.store.controllerRegistrations();
  const first = registrations.registration();
  t.like(first, { site: 'lab', holder: { pid: process.pid }, heartbeatAt: '2025-01-01T00:00:00.000Z' });
  await h.time.advance(first!.heartbeatMs);
  t.not(registrations.registration()?.heartbeatAt, first!.heartbeatAt, 'refreshed on the heartbeat');
  t.truthy(registrations.breakRegistration(), 'as force-unlock --controller does');
  await h.time.advance(first!.heartbeatMs);
  t.like(registrations.registration(), { token: first!.token }, 'registered again at the next heartbeat');
  t.true(h.logs.some((l) => l.msg === 'the site registration of this controller was removed: registering again'));
});

test('reload: a changed site stays registered to this controller; a removed one is given up', async (t) => {
  const h = await startControllerHarness(configText(site('lab') + site('old')));
  t.teardown(() => h.close());
  for (const name of ['lab', 'old']) await h.open.find((c) => c.site === name)!.finish((state) => ({ type: 'continue', state }));
  // What each retired store holds when it closes (the harness's stores are one database each).
  const atClose: Record<string, string | null> = {};
  for (const name of ['lab', 'old']) {
    const store = h.daemon.site(name)!.store;
    const close = store.close.bind(store);
    store.close = () => {
      atClose[name] = store.controllerRegistrations().registration()?.token ?? null;
      return close();
    };
  }
  const token = h.daemon.site('lab')!.store.controllerRegistrations().registration()!.token;
  h.daemon.reload(config(site('lab', '    concurrency: 2\n')));
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  t.deepEqual(atClose, { lab: token, old: null }, 'the changed site kept its registration, the removed one gave it up');
  t.like(h.daemon.site('lab')!.store.controllerRegistrations().registration(), { token }, 'and the changed site is registered in its new store');
});

test('drift checks asked for while one runs are one check after it, logged with every reason asked', async (t) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  let checks = 0;
  const h = await startControllerHarness(configText(site('lab')), {
    checkDrift: async (ctx) => {
      if (++checks === 1) await held;
      return noDrift(ctx.site.name, 'c0ffee');
    },
  });
  t.teardown(() => h.close());
  await h.open[0]!.finish((state) => ({ type: 'continue', state }));
  const lab = h.daemon.site('lab')!;
  const first = lab.checkDrift('schedule');
  t.deepEqual([lab.requestDrift('api'), lab.requestDrift('after-apply'), lab.requestDrift('api')], ['coalesced', 'coalesced', 'coalesced']);
  release();
  await first;
  t.is(checks, 2, 'one check after the running one, for all three asks');
  const reasons = h.logs.filter((l) => l.msg === 'drift checked' && l.site === 'lab').map((l) => l.reason);
  t.deepEqual(reasons, ['schedule', 'api+after-apply']);
});

test('a site keeps its SSH connections between drift checks, and stop closes them once the running check ended', async (t) => {
  const dir = await tempDir();
  const clientKey = await makeKeyPair(dir, 'client');
  const secrets = join(dir, 'secrets');
  await mkdir(secrets, { mode: 0o700 });
  await copyFile(clientKey.privateKeyPath, join(secrets, 'ssh-client-key'));
  const sshd = await startSshd({ authorizedKeys: [clientKey.publicKey] });
  t.teardown(() => sshd.stop());
  // No Site document: the default SSH settings (client key secret ssh-client-key, keepalives 5 s x 2).
  const revision: Revision = { source: 'test', ref: 'main', commit: '0'.repeat(40), worktree: false, files: [] };
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  let checks = 0;
  const h = await startControllerHarness(`apiVersion: underlay.dev/v1alpha1\nkind: ControllerConfig\nsecretsDir: ${secrets}\nsites:\n${site('lab')}`, {
    checkDrift: async (ctx) => {
      const transport = await ctx.transport!.get(revision);
      t.is((await transport.exec(sshd.endpoint('node1'), ['true'])).code, 0);
      await transport.close();
      if (++checks === 3) await held;
      return noDrift(ctx.site.name, revision.commit);
    },
  });
  t.teardown(() => h.close());
  await h.open[0]!.finish((state) => ({ type: 'continue', state }));
  const lab = h.daemon.site('lab')!;
  await lab.checkDrift('schedule');
  await lab.checkDrift('schedule');
  t.is(sshd.acceptedLogins(), 1, 'the second check reused the first one\'s connection');
  t.is(lab.connections.stats().openConnections, 1, 'kept between checks');
  const third = lab.checkDrift('schedule');
  await new Promise((r) => setImmediate(r));
  const stopping = h.daemon.stop(30_000);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  t.is(lab.connections.stats().openConnections, 1, 'not closed under the running check');
  release();
  await third;
  t.like(await stopping, { finished: true });
  t.is(lab.connections.stats().openConnections, 0, 'closed at shutdown');
  await t.throwsAsync(lab.connections.get(revision), { message: /closed/ });
});
