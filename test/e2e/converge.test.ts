/**
 * The example site converges three real runit nodes through the real CLI; applying again changes nothing;
 * a one-template commit touches only that file and reloads only the service depending on it; removing
 * resources from Git prunes exactly them.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { useE2ESite } from './support/e2e-site.js';
import { allRunitServices, managedFiles, onHost, ssh, stampOf, type Stamp } from './support/node-checks.js';
import { poll } from '../hosts/exec.js';
import { planChanges, planFromInventory, planHash, planLive } from './support/plan-live.js';

const s = useE2ESite({ count: 3 });
const names = (): string[] => s().hosts.hosts.map((h) => h.name);

/** Every managed file on every node: node -> path -> stamp. */
function stamps(): Record<string, Record<string, Stamp>> {
  return Object.fromEntries(names().map((n) => [n, Object.fromEntries(managedFiles(s().hosts, n).map((p) => [p, stampOf(s().hosts, n, p)]))]));
}

async function editYaml(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'));
  edit(doc);
  await writeFile(file, doc.toString({ lineWidth: 0 }));
}

test.serial('plan, then apply converges files, directories and services on every node', async (t) => {
  const plan = await planLive(s());
  t.is(plan.code, 0, plan.stderr);
  for (const n of names()) {
    t.true(planChanges(plan.stdout).includes(`${n} create service:etcd`), `plan creates etcd on ${n}:\n${plan.stdout}`);
  }

  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);

  for (const h of s().hosts.hosts) {
    const motd = `${h.name} (${h.address}) in cluster etcd\nManaged by underlay. Local changes are reported as drift.\n`;
    // Over SSH, as any operator would check.
    t.is(await ssh(s().hosts, h.name, 'cat /etc/motd'), motd);
    t.is(await ssh(s().hosts, h.name, "stat -c '%a %U:%G %F' /etc/motd /var/lib/underlay-base/node.env /var/lib/etcd /etc/etcd /var/lib/underlay-base"),
      ['644 root:root regular file', '644 root:root regular file', '700 etcd:etcd directory', '755 root:root directory', '755 root:root directory', ''].join('\n'));
    // From the host, through the node's overlay: the bytes really landed on this node's disk.
    t.is(readFileSync(onHost(s().hosts, h.name, '/var/lib/underlay-base/node.env'), 'utf8'), `NODE_NAME=${h.name}\nNODE_ADDRESS=${h.address}\nNODE_ROLES=etcd,lb\n`);
    const cfg = readFileSync(onHost(s().hosts, h.name, '/etc/haproxy/haproxy.cfg'), 'utf8');
    t.true(cfg.includes(`bind ${h.address}:12379`));
    for (const [i, peer] of s().hosts.hosts.entries()) t.true(cfg.includes(`server member${i + 1} ${peer.address}:2379 check`), cfg);
    t.is(statSync(onHost(s().hosts, h.name, '/var/lib/etcd')).mode & 0o7777, 0o700);
    t.true(existsSync(onHost(s().hosts, h.name, '/var/lib/etcd/' + h.name + '/member')), 'etcd wrote its data dir');
  }

  const services = await allRunitServices(s().hosts);
  for (const n of names()) {
    t.regex(services[n]!.etcd ?? '', /^\d+$/, `etcd runs on ${n}: ${JSON.stringify(services[n])}`);
    t.regex(services[n]!.haproxy ?? '', /^\d+$/, `haproxy runs on ${n}: ${JSON.stringify(services[n])}`);
  }
  // The cluster works end to end: a client on node3 reaches a healthy member through node1's haproxy.
  const lb = s().hosts.hosts[0]!;
  const health = await poll('etcd healthy through haproxy', 30_000, async () => {
    const out = await ssh(s().hosts, 'node3', `ETCDCTL_API=3 etcdctl --endpoints=http://${lb.address}:12379 --command-timeout=3s endpoint health 2>&1`);
    return /is healthy/.test(out) ? out : undefined;
  }, 250);
  t.regex(health, /is healthy/);
  const members = await ssh(s().hosts, 'node2', `ETCDCTL_API=3 etcdctl --endpoints=http://${lb.address}:12379 member list`);
  t.is(members.trim().split('\n').length, 3, members);
});

test.serial('a second apply changes nothing: empty plan, no writes, no restarts', async (t) => {
  const before = stamps();
  const pidsBefore = await allRunitServices(s().hosts);
  t.true(Object.keys(before.node1 ?? {}).length >= 4, Object.keys(before.node1 ?? {}).join(' '));

  const plan = await planLive(s(), ['--detailed-exitcode']);
  t.is(plan.code, 0, `${plan.stdout}\n${plan.stderr}`);
  t.regex(plan.stdout, /No changes\. The nodes match/);
  t.deepEqual(planChanges(plan.stdout), []);
  const offline = await planFromInventory(s(), ['--detailed-exitcode']);
  t.is(offline.code, 0, `${offline.stdout}\n${offline.stderr}`);
  t.regex(offline.stdout, /No changes\. The nodes match/);

  const apply = await s().underlay(['apply', '--no-color', '--detailed-exitcode']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  t.regex(apply.stdout, /No changes/);

  t.deepEqual(stamps(), before, 'no managed file was rewritten');
  t.deepEqual(await allRunitServices(s().hosts), pidsBefore, 'no service restarted');
});

test.serial('a commit changing one template rewrites only that file and reloads only its service', async (t) => {
  const before = stamps();
  const pidsBefore = await allRunitServices(s().hosts);
  await s().commit('haproxy: more connections', async (dir) => {
    const file = path.join(dir, 'templates/haproxy.cfg.liquid');
    const text = await readFile(file, 'utf8');
    t.true(text.includes('maxconn 2048'));
    await writeFile(file, text.replace('maxconn 2048', 'maxconn 4096'));
  });

  const plan = await planLive(s());
  t.is(plan.code, 0, plan.stderr);
  t.deepEqual(
    planChanges(plan.stdout),
    names().flatMap((n) => [`${n} reload service:haproxy`, `${n} update file:/etc/haproxy/haproxy.cfg`]).sort(),
    plan.stdout,
  );
  // Same revision, same observed state: the live plan and the plan from a saved snapshot are the same plan.
  const offline = await planFromInventory(s());
  t.is(offline.code, 0, offline.stderr);
  t.truthy(planHash(plan.stdout));
  t.is(planHash(offline.stdout), planHash(plan.stdout));

  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);

  const after = stamps();
  const pidsAfter = await allRunitServices(s().hosts);
  for (const n of names()) {
    t.true(readFileSync(onHost(s().hosts, n, '/etc/haproxy/haproxy.cfg'), 'utf8').includes('maxconn 4096'));
    for (const [p, stamp] of Object.entries(before[n]!)) {
      if (p === '/etc/haproxy/haproxy.cfg') t.notDeepEqual(after[n]![p], stamp, `${n}:${p} rewritten`);
      else t.deepEqual(after[n]![p], stamp, `${n}:${p} untouched`);
    }
    t.deepEqual(Object.keys(pidsAfter[n]!).sort(), Object.keys(pidsBefore[n]!).sort());
    // haproxy's master (the process runit supervises) reloaded in place: no service has a new pid.
    t.deepEqual(pidsAfter[n], pidsBefore[n], `${n}: nothing restarted`);
    t.regex(pidsAfter[n]!.haproxy ?? '', /^\d+$/, `${n}: haproxy running`);
  }
});

test.serial('removing a file and a service from Git prunes them, and nothing underlay did not create', async (t) => {
  // An operator's file beside a managed one: underlay never created it, so it must survive the prune.
  for (const n of names()) {
    const r = await s().hosts.run(n, 'echo keep me > /var/lib/underlay-base/operator-notes');
    t.is(r.code, 0, r.stderr);
  }
  const keepStamps = Object.fromEntries(names().map((n) => [n, stampOf(s().hosts, n, '/var/lib/underlay-base/operator-notes')]));
  const pidsBefore = await allRunitServices(s().hosts);

  await s().commit('drop node.env and the haproxy service', async (dir) => {
    await editYaml(path.join(dir, 'modules/base.yaml'), (doc) => {
      const resources = doc.getIn(['spec', 'resources']) as { items: { toJSON(): { file?: { path: string } } }[] };
      resources.items = resources.items.filter((r) => r.toJSON().file?.path !== '/var/lib/underlay-base/node.env');
    });
    await editYaml(path.join(dir, 'modules/haproxy.yaml'), (doc) => {
      const resources = doc.getIn(['spec', 'resources']) as { items: { toJSON(): { service?: unknown } }[] };
      resources.items = resources.items.filter((r) => r.toJSON().service === undefined);
    });
  });

  const plan = await planLive(s());
  t.is(plan.code, 0, plan.stderr);
  t.deepEqual(
    planChanges(plan.stdout),
    names().flatMap((n) => [`${n} delete file:/var/lib/underlay-base/node.env`, `${n} delete service:haproxy`]).sort(),
    plan.stdout,
  );
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);

  const pidsAfter = await allRunitServices(s().hosts);
  for (const n of names()) {
    t.false(existsSync(onHost(s().hosts, n, '/var/lib/underlay-base/node.env')), `${n}: node.env pruned`);
    t.is(await ssh(s().hosts, n, 'test -e /var/lib/underlay-base/node.env && echo present || echo absent'), 'absent\n');
    t.is(await ssh(s().hosts, n, 'cat /var/lib/underlay-base/operator-notes'), 'keep me\n');
    t.deepEqual(stampOf(s().hosts, n, '/var/lib/underlay-base/operator-notes'), keepStamps[n]);
    t.is(pidsAfter[n]!.haproxy, undefined, `${n}: haproxy no longer supervised`);
    t.is(await ssh(s().hosts, n, 'pgrep -x haproxy >/dev/null && echo running || echo stopped'), 'stopped\n');
    t.is(await ssh(s().hosts, n, 'test -e /etc/service/haproxy || test -e /etc/sv/haproxy && echo present || echo absent'), 'absent\n');
    t.is(pidsAfter[n]!.etcd, pidsBefore[n]!.etcd, `${n}: etcd not restarted`);
    t.true(existsSync(onHost(s().hosts, n, '/etc/haproxy/haproxy.cfg')), `${n}: the config is still managed`);
  }
  const again = await s().underlay(['apply', '--no-color']);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /No changes/);
});
