import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SshTransport } from '../../controller/transport/ssh-transport.js';
import { createTestHosts, type TestHostCluster } from '../../test/hosts/harness.js';
import { file, resource, service } from '../../test/support/build-desired.js';
import { actionsOf, converge, ctxOf, failuresOf, observe, type HostNode } from '../../test/support/converge-node.js';
import { change } from '../../test/support/fake-apply.js';
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

test('a systemd service is created, restarted with a new pid when its config changes, and removed', async (t) => {
  const h = cluster!.hosts[0]!;
  const n: HostNode = { transport: transport!, serviceManager: 'systemd', endpoint: { name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey } };
  const config = (text: string) => resource(file('/etc/ul-sleeper.conf', text));
  const spec = service('ul-sleeper', { command: '/bin/sleep', args: ['1000'], restartOnChangeOf: ['file:/etc/ul-sleeper.conf'] });
  const svc = resource(spec, [`${h.name}/file:/etc/ul-sleeper.conf`]);
  t.deepEqual(actionsOf(await converge(n, [config('one\n'), svc])), ['create file:/etc/ul-sleeper.conf', `create ${svc.key}`]);
  const first = (await observe(n, [svc])).resources[svc.key];
  t.like(first, { exists: true, running: true, enabled: true, definitionHash: renderServiceDefinition(spec, 'systemd').hash });
  const pid1 = first?.kind === 'service' ? first.pid : undefined;
  t.true(typeof pid1 === 'number' && pid1 > 1);
  t.deepEqual(actionsOf(await converge(n, [config('one\n'), svc])), []);

  t.deepEqual(actionsOf(await converge(n, [config('two\n'), svc])), ['update file:/etc/ul-sleeper.conf', `restart ${svc.key}`]);
  const second = (await observe(n, [svc])).resources[svc.key];
  const pid2 = second?.kind === 'service' ? second.pid : undefined;
  t.true(typeof pid2 === 'number' && pid2 !== pid1, `pid ${pid1} -> ${pid2}`);

  // The rollout health gate: active is healthy; a unit stopped behind underlay's back is not.
  const gate = change(`${h.name}/${svc.key}#restart`, { action: 'restart', disruptive: true });
  t.deepEqual(await serviceEffects.health!(ctxOf(n), gate), { healthy: true });
  await cluster!.run(h.name, 'systemctl stop ul-sleeper.service');
  const unhealthy = await serviceEffects.health!(ctxOf(n), gate);
  t.regex(unhealthy.healthy ? '' : unhealthy.message, /ul-sleeper is not active/);

  t.deepEqual(actionsOf(await converge(n, [])).sort(), [`delete ${svc.key}`, 'delete file:/etc/ul-sleeper.conf'].sort());
  t.like((await observe(n, [svc])).resources[svc.key], { exists: false, running: false, enabled: false });
  t.false(existsSync(join(h.upperDir, '/etc/systemd/system/ul-sleeper.service')));

  const broken = resource(service('ul-broken', { command: '/bin/false' }));
  const failed = await converge(n, [broken]);
  t.is(failed.changeSet.status, 'failed');
  t.regex(failuresOf(failed)[broken.key] ?? '', /ul-broken/);
  t.regex(failuresOf(failed)[broken.key] ?? '', /ul-broken\.service|false/, 'carries journal lines');
  await converge(n, []);
});
