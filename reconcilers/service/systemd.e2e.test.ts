import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SshTransport } from '../../controller/transport/ssh-transport.js';
import { createTestHosts, type TestHostCluster } from '../../test/hosts/harness.js';
import { resource, service } from '../../test/support/build-desired.js';
import { converge, ctxOf, observe, type TestNode } from '../e2e-support.js';
import { renderServiceDefinition } from './definition.js';
import { serviceEffects } from './effects.js';

let cluster: TestHostCluster | undefined;
let transport: SshTransport | undefined;

test.before(async () => {
  cluster = await createTestHosts({ count: 1, kind: 'systemd', namePrefix: 'sdr' });
  transport = new SshTransport({ auth: { type: 'key-file', path: cluster.clientKeyPath } });
});

test.after.always(async () => {
  await transport?.close();
  await cluster?.teardown();
});

test('a systemd service is created, restarted with a new pid, and removed', async (t) => {
  const h = cluster!.hosts[0]!;
  const n: TestNode = { transport: transport!, serviceManager: 'systemd', endpoint: { name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey } };
  const spec = service('ul-sleeper', { command: '/bin/sleep', args: ['1000'] });
  const svc = resource(spec);
  t.is((await converge(n, { resource: svc }))?.action, 'create');
  const first = (await observe(n, [svc])).resources[svc.key];
  t.like(first, { exists: true, running: true, enabled: true, definitionHash: renderServiceDefinition(spec, 'systemd').hash });
  const pid1 = first?.kind === 'service' ? first.pid : undefined;
  t.true(typeof pid1 === 'number' && pid1 > 1);
  t.is(await converge(n, { resource: svc }), null);

  await converge(n, { resource: svc }, 'restart');
  const second = (await observe(n, [svc])).resources[svc.key];
  const pid2 = second?.kind === 'service' ? second.pid : undefined;
  t.true(typeof pid2 === 'number' && pid2 !== pid1, `pid ${pid1} -> ${pid2}`);

  // The rollout health gate: active is healthy; a unit stopped behind underlay's back is not.
  const change = { id: 'h', node: h.name, kind: 'service' as const, key: svc.key, action: 'restart' as const, before: null, after: null, reason: 't', dependsOn: [], disruptive: true };
  t.deepEqual(await serviceEffects.health!(ctxOf(n), change), { healthy: true });
  await cluster!.run(h.name, 'systemctl stop ul-sleeper.service');
  const unhealthy = await serviceEffects.health!(ctxOf(n), change);
  t.regex(unhealthy.healthy ? '' : unhealthy.message, /ul-sleeper is not active/);

  t.is((await converge(n, { key: svc.key, kind: 'service' }))?.action, 'delete');
  t.like((await observe(n, [svc])).resources[svc.key], { exists: false, running: false, enabled: false });
  t.false(existsSync(join(h.upperDir, '/etc/systemd/system/ul-sleeper.service')));

  const broken = resource(service('ul-broken', { command: '/bin/false' }));
  const error = await t.throwsAsync(converge(n, { resource: broken }));
  t.regex(error.message, /ul-broken/);
  t.regex(error.message, /ul-broken\.service|false/, 'carries journal lines');
  await converge(n, { key: broken.key, kind: 'service' });
});
