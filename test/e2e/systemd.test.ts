/**
 * The systemd backend through the whole pipeline: a Node that says `serviceManager: systemd` (the site's
 * default is runit) on a systemd-nspawn test host gets its file and a service systemd supervises; applying
 * again changes nothing; a new greeting restarts the service and nothing else.
 */
import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { useE2ESite } from './support/e2e-site.js';
import { onHost, ssh, stampOf } from './support/node-checks.js';

// The first build of the cached systemd rootfs takes about a minute on a fresh machine.
const s = useE2ESite({ count: 1, kind: 'systemd', example: 'systemd-node' });

const GREETING = '/etc/greeter/greeting.txt';
const mainPid = async (): Promise<string> => (await ssh(s().hosts, 'node1', 'systemctl show -p MainPID --value greeter.service')).trim();

test.serial('apply converges a systemd node; a second apply is a no-op; a new greeting restarts only greeter', async (t) => {
  const node = s().hosts.hosts[0]!;
  const apply = await s().underlay(['apply', '--no-color', '--diff']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  t.regex(apply.stdout, /systemd/, 'the plan (--diff: in full) shows a systemd unit, not a runit run script');

  t.is(await ssh(s().hosts, 'node1', 'systemctl is-active greeter.service'), 'active\n');
  t.is(await ssh(s().hosts, 'node1', 'systemctl is-enabled greeter.service'), 'enabled\n');
  t.regex(await ssh(s().hosts, 'node1', 'systemctl show -p ExecStart --value greeter.service'), /\/bin\/sleep.*infinity/);
  t.false(await ssh(s().hosts, 'node1', 'test -e /etc/service/greeter && echo runit || echo none').then((o) => o.includes('runit')));
  const pid1 = await mainPid();
  t.regex(pid1, /^[1-9]\d*$/);
  t.is(await ssh(s().hosts, 'node1', `cat /proc/${pid1}/cmdline | tr '\\0' ' '`), '/bin/sleep infinity ');

  const content = `Hello from underlay. (node1, ${node.address})\n`;
  t.is(await ssh(s().hosts, 'node1', `cat ${GREETING}`), content);
  t.is(await ssh(s().hosts, 'node1', `stat -c '%a %U:%G' ${GREETING}`), '640 root:root\n');
  t.is(readFileSync(onHost(s().hosts, 'node1', GREETING), 'utf8'), content);
  t.is(statSync(onHost(s().hosts, 'node1', GREETING)).mode & 0o777, 0o640);

  const stamp = stampOf(s().hosts, 'node1', GREETING);
  const again = await s().underlay(['apply', '--no-color', '--detailed-exitcode']);
  t.is(again.code, 0, `${again.stdout}\n${again.stderr}`);
  t.regex(again.stdout, /No changes\. The nodes match/);
  t.deepEqual(stampOf(s().hosts, 'node1', GREETING), stamp, 'not rewritten');
  t.is(await mainPid(), pid1, 'not restarted');

  await s().commit('a friendlier greeting', async (dir) => {
    const file = path.join(dir, 'site.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('Hello from underlay.', 'Good morning from underlay.'));
  });
  const change = await s().underlay(['apply', '--no-color']);
  t.is(change.code, 0, `${change.stdout}\n${change.stderr}`);
  t.is(await ssh(s().hosts, 'node1', `cat ${GREETING}`), `Good morning from underlay. (node1, ${node.address})\n`);
  const pid2 = await mainPid();
  t.regex(pid2, /^[1-9]\d*$/);
  t.not(pid2, pid1, 'restarted because its file changed');
  t.is(await ssh(s().hosts, 'node1', 'systemctl is-active greeter.service'), 'active\n');
});
