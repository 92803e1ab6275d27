import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestHosts, type TestHostCluster } from './harness.js';
import { leftoversOf } from './leftovers.js';
import { sshRun, writeKnownHosts } from './ssh-client.js';
import { readState, type ClusterState } from './state.js';

let cluster: TestHostCluster | undefined;
let state: ClusterState | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'underlay-systemd-test-'));

const c = (): TestHostCluster => {
  if (!cluster) throw new Error('cluster did not come up');
  return cluster;
};

test.before(async () => {
  // The first run on a machine debootstraps the cached rootfs (about a minute).
  cluster = await createTestHosts({ count: 1, kind: 'systemd', namePrefix: 'sd' });
  state = readState(cluster.stateDir);
});

test.after.always(async () => {
  await cluster?.teardown();
  rmSync(scratch, { recursive: true, force: true });
});

test.serial('systemd boots to a running system', async (t) => {
  const h = c().hosts[0]!;
  t.is(h.kind, 'systemd');
  const r = await c().run(h.name, 'timeout 60 systemctl is-system-running --wait; systemctl --failed --no-legend --plain');
  t.is(r.stdout.split('\n')[0], 'running', r.stdout + r.stderr);
  const pid1 = await c().run(h.name, 'cat /proc/1/comm');
  t.is(pid1.stdout.trim(), 'systemd');
});

test.serial('ssh reaches the node with its own host key', async (t) => {
  const h = c().hosts[0]!;
  const kh = writeKnownHosts(scratch, 'kh', [h]);
  const r = await sshRun(h, c().clientKeyPath, kh, 'hostname; cat /etc/machine-id');
  t.is(r.code, 0, r.stderr);
  const [hostname, machineId] = r.stdout.trim().split('\n');
  t.is(hostname, h.name);
  t.regex(machineId ?? '', /^[0-9a-f]{32}$/);
});

test.serial('systemctl starts a unit over ssh', async (t) => {
  const h = c().hosts[0]!;
  const kh = writeKnownHosts(scratch, 'kh', [h]);
  const unit = '[Unit]\nDescription=underlay test unit\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c "echo hello > /run/underlay-hello"\n';
  const r = await sshRun(
    h,
    c().clientKeyPath,
    kh,
    `printf '${unit}' > /etc/systemd/system/underlay-hello.service && systemctl daemon-reload && systemctl start underlay-hello.service && systemctl is-active underlay-hello.service && cat /run/underlay-hello`,
  );
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'active\nhello\n');
});

test.serial('teardown removes the node, its cgroups and namespaces', async (t) => {
  const s = state!;
  t.true(leftoversOf(s).length > 0);
  await c().teardown();
  t.deepEqual(leftoversOf(s), []);
});
