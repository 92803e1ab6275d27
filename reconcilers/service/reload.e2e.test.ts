/**
 * Reloads on real test hosts, under runit and under systemd, through the product's apply path: a changed
 * config reloads its service in place (same pid, the declared signal or command seen by the program), a
 * changed reload is a definition update (a restart), and a program that dies of its reload fails the change.
 */
import test from 'ava';
import { SshTransport } from '../../controller/transport/ssh-transport.js';
import { createTestHosts, type TestHostCluster } from '../../test/hosts/harness.js';
import { file, resource, service } from '../../test/support/build-desired.js';
import { actionsOf, converge, failuresOf, observe, type HostNode } from '../../test/support/converge-node.js';
import type { DesiredService, ObservedService } from './schema.js';

const MANAGERS = ['runit', 'systemd'] as const;
type Manager = (typeof MANAGERS)[number];
const clusters: Partial<Record<Manager, { hosts: TestHostCluster; transport: SshTransport }>> = {};

test.before(async () => {
  await Promise.all(
    MANAGERS.map(async (kind) => {
      const hosts = await createTestHosts({ count: 1, kind, namePrefix: `rl${kind[0]}` });
      clusters[kind] = { hosts, transport: new SshTransport({ auth: { type: 'key-file', path: hosts.clientKeyPath } }) };
    }),
  );
});

test.after.always(async () => {
  await Promise.all(
    Object.values(clusters).map(async (c) => {
      await c.transport.close();
      await c.hosts.teardown();
    }),
  );
});

const LOG = '/var/lib/ul-reload.log';
/** Survives HUP and USR2 and logs each; `wait` returns early on a signal, so the trap runs at once. */
const SIGNAL_LOGGER = `trap 'echo hup >> ${LOG}' HUP; trap 'echo usr2 >> ${LOG}' USR2; while :; do sleep 1 & wait $!; done`;

function nodeOf(manager: Manager): { n: HostNode; cluster: TestHostCluster } {
  const { hosts, transport } = clusters[manager]!;
  const h = hosts.hosts[0]!;
  return { cluster: hosts, n: { transport, serviceManager: manager, endpoint: { name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey } } };
}

async function pidOf(n: HostNode, svc: DesiredService): Promise<number | undefined> {
  const seen = (await observe(n, [resource(svc)])).resources[`service:${svc.name}`];
  return seen?.kind === 'service' ? (seen as ObservedService).pid : undefined;
}

for (const manager of MANAGERS) {
  test.serial(`${manager}: a config change reloads in place with the declared signal, then the declared command`, async (t) => {
    const { n, cluster } = nodeOf(manager);
    await cluster.run(n.endpoint.name, `: > ${LOG}`);
    const config = (text: string) => resource(file('/etc/ul-reload.conf', text));
    const bySignal = service('ul-reload', { command: '/bin/sh', args: ['-c', SIGNAL_LOGGER], reloadOnChangeOf: ['file:/etc/ul-reload.conf'], reload: { signal: 'USR2' } });
    const svc = (s: DesiredService) => resource(s, [`${n.endpoint.name}/file:/etc/ul-reload.conf`]);
    t.deepEqual(actionsOf(await converge(n, [config('one\n'), svc(bySignal)])), ['create file:/etc/ul-reload.conf', 'create service:ul-reload']);
    const pid1 = await pidOf(n, bySignal);
    t.truthy(pid1);

    const reloaded = await converge(n, [config('two\n'), svc(bySignal)]);
    t.deepEqual(actionsOf(reloaded), ['update file:/etc/ul-reload.conf', 'reload service:ul-reload'], JSON.stringify(reloaded.changeSet.results));
    t.is(reloaded.changeSet.status, 'succeeded', JSON.stringify(reloaded.changeSet.results));
    t.is(await pidOf(n, bySignal), pid1, 'reloaded in place');
    t.is((await cluster.run(n.endpoint.name, `cat ${LOG}`)).stdout, 'usr2\n');

    // How it reloads is part of its definition: changing it restarts the service onto the new one.
    const byCommand: DesiredService = { ...bySignal, reload: { command: ['/bin/sh', '-c', `echo command >> ${LOG}`] } };
    t.deepEqual(actionsOf(await converge(n, [config('two\n'), svc(byCommand)])), ['update service:ul-reload']);
    const pid2 = await pidOf(n, byCommand);
    t.not(pid2, pid1);
    const again = await converge(n, [config('three\n'), svc(byCommand)]);
    t.deepEqual(actionsOf(again), ['update file:/etc/ul-reload.conf', 'reload service:ul-reload']);
    t.is(again.changeSet.status, 'succeeded', JSON.stringify(again.changeSet.results));
    t.is(await pidOf(n, byCommand), pid2);
    t.is((await cluster.run(n.endpoint.name, `cat ${LOG}`)).stdout, 'usr2\ncommand\n');
    t.deepEqual(actionsOf(await converge(n, [config('three\n'), svc(byCommand)])), []);
    await converge(n, []);
  });

  test.serial(`${manager}: a program that dies of its reload fails the change`, async (t) => {
    const { n } = nodeOf(manager);
    const config = (text: string) => resource(file('/etc/ul-fragile.conf', text));
    // sleep has no HUP handler: HUP kills it, and the manager starts a new one.
    const fragile = resource(service('ul-fragile', { command: '/bin/sleep', args: ['1000'], reloadOnChangeOf: ['file:/etc/ul-fragile.conf'], reload: { signal: 'HUP' } }), [
      `${n.endpoint.name}/file:/etc/ul-fragile.conf`,
    ]);
    await converge(n, [config('one\n'), fragile]);
    const failed = await converge(n, [config('two\n'), fragile]);
    t.deepEqual(actionsOf(failed), ['update file:/etc/ul-fragile.conf', 'reload service:ul-fragile']);
    t.is(failed.changeSet.status, 'failed');
    t.regex(failuresOf(failed)['service:ul-fragile'] ?? '', /did not survive its reload/);
    await converge(n, []);
  });
}
