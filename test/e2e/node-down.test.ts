/**
 * A node that is down during apply: the run converges the others, fails for that node with a status that
 * names it and says why (unreachable), and the next apply after the node is back finishes it.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { useE2ESite } from './support/e2e-site.js';
import { allRunitServices, managedRecord, onHost, ssh } from './support/node-checks.js';
import { poll } from '../hosts/exec.js';

const s = useE2ESite({ count: 3 });

const address = (name: string): string => s().hosts.hosts.find((h) => h.name === name)!.address;

async function etcdHealthyThrough(lb: string, endpoints: number): Promise<string> {
  return poll(`etcd healthy through ${lb}'s haproxy`, 30_000, async () => {
    const out = await ssh(s().hosts, lb, `ETCDCTL_API=3 etcdctl --endpoints=http://${address(lb)}:12379 --command-timeout=3s endpoint health --cluster 2>&1 || true`);
    return (out.match(/is healthy/g) ?? []).length === endpoints ? out : undefined;
  }, 250);
}

test.serial('apply with a node down converges the others and reports the node unreachable', async (t) => {
  await s().hosts.stopHost('node3');
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 1, `${apply.stdout}\n${apply.stderr}`);
  t.regex(apply.stdout + apply.stderr, /node3[^\n]*unreachable/);

  for (const n of ['node1', 'node2']) {
    t.true(Object.keys(managedRecord(s().hosts, n)).includes('service:haproxy'), `${n} converged`);
  }
  t.false(existsSync(onHost(s().hosts, 'node3', '/var/lib/underlay/managed.json')), 'nothing reached node3');
  const services = await allRunitServices({ ...s().hosts, hosts: s().hosts.hosts.filter((h) => h.name !== 'node3') });
  for (const n of ['node1', 'node2']) {
    t.regex(services[n]?.etcd ?? '', /^\d+$/, `etcd runs on ${n}`);
    t.regex(services[n]?.haproxy ?? '', /^\d+$/, `haproxy runs on ${n}`);
  }
  // Two of three members form a quorum: the site works while node3 is away.
  await etcdHealthyThrough('node1', 2);

  const status = await s().underlay(['status']);
  t.is(status.code, 1, status.stdout);
  const node3 = status.stdout.slice(status.stdout.indexOf('\n  node3'));
  t.regex(node3, /Ready=False Unreachable: [^\n]*node3[^\n]*(EHOSTUNREACH|unreachable)/, status.stdout);
  for (const n of ['node1', 'node2']) t.regex(status.stdout, new RegExp(`  ${n} @ \\w+\\n    Ready=True`), status.stdout);

  const json = await s().underlay(['status', '--output', 'json']);
  t.regex(json.stdout, /Unreachable/);
});

test.serial('after the node is back the next apply finishes it and every node is Ready', async (t) => {
  const pidsBefore = await allRunitServices({ ...s().hosts, hosts: s().hosts.hosts.filter((h) => h.name !== 'node3') });
  await s().hosts.startHost('node3');
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  t.notRegex(apply.stdout, /^node[12]$/m, 'the converged nodes get no changes');

  t.true(Object.keys(managedRecord(s().hosts, 'node3')).includes('service:haproxy'));
  const pidsAfter = await allRunitServices(s().hosts);
  t.regex(pidsAfter.node3?.etcd ?? '', /^\d+$/);
  for (const n of ['node1', 'node2']) t.deepEqual(pidsAfter[n], pidsBefore[n], `${n}: nothing restarted`);
  await etcdHealthyThrough('node3', 3);

  const status = await s().underlay(['status']);
  t.is(status.code, 0, status.stdout);
  for (const n of ['node1', 'node2', 'node3']) t.regex(status.stdout, new RegExp(`  ${n} @ \\w+\\n    Ready=True`), status.stdout);
  t.notRegex(status.stdout, /Ready=False|Failed=True/);
});
