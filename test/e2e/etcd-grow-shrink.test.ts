/**
 * Automatic iteration on real test hosts, with the TLS example (examples/three-node-etcd): its three members
 * come up, then ONE commit adding node4 and ONE apply make node4 a started member (a staying member runs
 * `member add`, then node4 starts with --initial-cluster-state=existing), with its certificates, its DNS
 * records in the site's BIND and a haproxy backend; then `decommission: true` and ONE apply take it out again
 * (`member remove` on a staying member first, then node4 is dismantled: service stopped, records deleted,
 * certificates revoked); then node4 comes back (decommission: false), a new member for etcd, so its old data
 * is set aside before its etcd starts. Each apply is followed by a re-plan that must be empty. Four hosts are made; node4
 * has no Node document until the grow commit. The CA key and the TSIG key are made here, into the secret store.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { pinTestHosts } from '../../scripts/pin-test-hosts.js';
import { poll } from '../hosts/exec.js';
import { runCli, type E2ESite } from './support/e2e-site.js';
import { createTlsEtcdSite } from './support/tls-etcd-site.js';
import { managedRecord, onHost, runitServices } from './support/node-checks.js';
import { planChanges, planLive } from './support/plan-live.js';

const ZONE = 'lab.example.net';
let site: E2ESite | undefined;
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};

test.before(async () => {
  site = await createTlsEtcdSite({ count: 4, pinned: 3 });
});
test.after.always(async () => {
  await site?.teardown();
});

const address = (name: string): string => s().hosts.hosts.find((h) => h.name === name)!.address;

/** A command inside a node's namespaces (its resolv.conf, its network), as a person logged in there. */
async function onNode(name: string, script: string): Promise<string> {
  const r = await s().hosts.run(name, script);
  if (r.code !== 0) throw new Error(`${name}: ${script}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const etcdctl = (endpoint: string): string =>
  `ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/client.crt --key /etc/etcd/pki/client.key --endpoints ${endpoint} --command-timeout=5s`;

/** `etcdctl member list` on node2 through its own member: "status name peerURL" per member, sorted. */
async function members(): Promise<string[]> {
  const out = await onNode('node2', `${etcdctl(`https://${address('node2')}:2379`)} member list -w simple`);
  return out.trim().split('\n').map((line) => line.split(', ')).map((f) => `${f[1]} ${f[2]} ${f[3]}`).sort();
}

const member = (name: string): string => `started ${name} https://${address(name)}:2380`;

function startedMembers(names: string[]): Promise<string[]> {
  return poll(`${names.length} started members`, 90_000, async () => {
    const list = await members().catch(() => []);
    return list.length === names.length && list.every((m) => m.startsWith('started')) ? list : undefined;
  }, 500);
}

async function applyOnce(t: ExecutionContext): Promise<string> {
  const apply = await s().underlay(['apply', '--no-color'], { timeoutMs: 480_000 });
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  return apply.stdout;
}

async function replanEmpty(t: ExecutionContext): Promise<string> {
  const plan = await planLive(s(), ['--detailed-exitcode']);
  t.is(plan.code, 0, `a re-plan right after the apply is empty:\n${plan.stdout}\n${plan.stderr}`);
  t.deepEqual(planChanges(plan.stdout), []);
  return plan.stdout;
}

/** Whether, in the live JSON plan, change `id` waits for `on`, directly or through other changes. */
async function waitsInLivePlan(id: string, on: string): Promise<boolean> {
  const plan = await planLive(s(), ['--output', 'json']);
  const changes = new Map((JSON.parse(plan.stdout) as { changes: { id: string; dependsOn: string[] }[] }).changes.map((c) => [c.id, c.dependsOn]));
  const seen = new Set<string>();
  const stack = [...(changes.get(id) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next === on) return true;
    if (!seen.has(next)) stack.push(...(changes.get(next) ?? []));
    seen.add(next);
  }
  return false;
}

/** Whether apply reported `first` done before `second` (its "applied ACTION ID" lines come in the order changes finished). */
function appliedBefore(stdout: string, first: string, second: string): boolean {
  const lines = stdout.split('\n');
  const at = (change: string): number => lines.findIndex((line) => line.startsWith(`  applied ${change} (`));
  return at(first) >= 0 && at(second) > at(first);
}

const dig = (args: string): Promise<string> => onNode('node1', `dig +short ${args}`).then((o) => o.trim());
const openssl = (args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const SYNC = 'node1/command:etcd-membership';

test.serial('three members come up from empty nodes; node4 is not in Git yet', async (t) => {
  await applyOnce(t);
  t.deepEqual(await startedMembers(['node1', 'node2', 'node3']), ['node1', 'node2', 'node3'].map(member));
  t.deepEqual(managedRecord(s().hosts, 'node4'), {}, 'nothing on node4');
  await replanEmpty(t);
});

test.serial('grow: one commit adding node4 and one apply make it a started member that serves reads', async (t) => {
  await s().commit('grow: node4 joins the etcd cluster', async (repo) => {
    const node4 = parseDocument(await readFile(path.join(repo, 'nodes', 'node2.yaml'), 'utf8'));
    node4.setIn(['metadata', 'name'], 'node4');
    node4.setIn(['metadata', 'labels', 'rack'], 'r4');
    node4.setIn(['metadata', 'labels', 'etcd-cluster-state'], 'existing');
    await writeFile(path.join(repo, 'nodes', 'node4.yaml'), node4.toString({ lineWidth: 0 }));
    await pinTestHosts(s().hosts.hosts.filter((h) => h.name === 'node4'), repo);
  });
  const plan = await planLive(s());
  t.is(plan.code, 0, plan.stderr);
  const changes = planChanges(plan.stdout);
  for (const c of ['node1 run command:etcd-membership', 'node1 update file:/etc/etcd/members', 'node1 reload service:haproxy', 'node4 create service:etcd', 'node4 create certificate:etcd-server']) {
    t.true(changes.includes(c), `${c} in:\n${plan.stdout}`);
  }
  t.true(changes.some((c) => c.startsWith('zone:lab create dns:lab/node4.')), plan.stdout);
  t.false(changes.some((c) => /^node[123] restart /.test(c)), 'no staying member restarts');
  t.regex(plan.stdout, /--initial-cluster-state=existing/);
  t.true(await waitsInLivePlan('node4/service:etcd', SYNC), 'the plan orders the member add before node4 starts');

  const applied = await applyOnce(t);
  t.true(appliedBefore(applied, `run ${SYNC}`, 'create node4/service:etcd'), applied);
  t.deepEqual(await startedMembers(['node1', 'node2', 'node3', 'node4']), ['node1', 'node2', 'node3', 'node4'].map(member));

  await onNode('node1', `${etcdctl(`https://${address('node1')}:2379`)} put grown yes`);
  t.is((await onNode('node2', `${etcdctl(`https://${address('node4')}:2379`)} get grown --print-value-only`)).trim(), 'yes', 'node4 serves a linearizable read');
  t.is(await dig(`node4.${ZONE} A`), address('node4'));
  t.regex(openssl(['verify', '-CAfile', path.join(s().repoDir, 'ca/site-ca.pem'), onHost(s().hosts, 'node4', '/etc/etcd/pki/server.crt')]), /: OK/);
  t.true(readFileSync(onHost(s().hosts, 'node1', '/etc/haproxy/haproxy.cfg'), 'utf8').includes(`${address('node4')}:2379 check`));
  await replanEmpty(t);
});

test.serial('shrink: decommission: true and one apply remove node4 from etcd, then dismantle it', async (t) => {
  const serial = openssl(['x509', '-noout', '-serial', '-in', onHost(s().hosts, 'node4', '/etc/etcd/pki/server.crt')]).trim().replace(/^serial=0*/, '').toUpperCase();
  await s().commit('shrink: node4 leaves', async (repo) => {
    const file = path.join(repo, 'nodes', 'node4.yaml');
    const doc = parseDocument(await readFile(file, 'utf8'));
    doc.setIn(['spec', 'decommission'], true);
    await writeFile(file, doc.toString({ lineWidth: 0 }));
  });
  const plan = await planLive(s());
  t.is(plan.code, 0, plan.stderr);
  t.true(planChanges(plan.stdout).includes('node1 run command:etcd-membership'), plan.stdout);
  t.true(planChanges(plan.stdout).includes('node4 delete service:etcd'), plan.stdout);
  t.true(await waitsInLivePlan('node4/service:etcd', SYNC), 'the plan orders the member remove before node4 stops');

  const applied = await applyOnce(t);
  for (const teardown of ['delete node4/service:etcd', 'delete node4/certificate:etcd-server']) {
    t.true(appliedBefore(applied, `run ${SYNC}`, teardown), `${teardown} after the member remove:\n${applied}`);
  }
  t.deepEqual(await members(), ['node1', 'node2', 'node3'].map(member));
  t.deepEqual(managedRecord(s().hosts, 'node4'), {}, 'underlay manages nothing on node4 any more');
  t.is((await runitServices(s().hosts, 'node4')).etcd, undefined, 'no etcd service left on node4');
  t.false(existsSync(onHost(s().hosts, 'node4', '/etc/sv/etcd')), 'its service definition is gone');
  t.is(await dig(`node4.${ZONE} A`), '', 'its DNS record is deleted');
  t.false(readFileSync(onHost(s().hosts, 'node1', '/etc/haproxy/haproxy.cfg'), 'utf8').includes(address('node4')));
  const crlFile = path.join(s().stateDir, 'site-ca.crl');
  const crl = await runCli(['pki', 'crl', '--ca', 'site-ca', '--repo', s().repoDir, '--state-dir', s().stateDir, '--secrets-dir', s().secretsDir, '--out', crlFile]);
  t.is(crl.code, 0, crl.stderr);
  t.regex(openssl(['crl', '-noout', '-text', '-in', crlFile]).toUpperCase(), new RegExp(`SERIAL NUMBER: 0*${serial}\\b`), `node4's server certificate ${serial} is revoked`);

  const replan = await replanEmpty(t);
  t.regex(replan, /node node4 is decommissioned \(leaves etcd\): underlay manages nothing on it any more; its Node document can be deleted/);
});

test.serial('rejoin: decommission: false again and one apply bring node4 back, its old member data set aside', async (t) => {
  await s().commit('node4 back', async (repo) => {
    const file = path.join(repo, 'nodes', 'node4.yaml');
    const doc = parseDocument(await readFile(file, 'utf8'));
    doc.deleteIn(['spec', 'decommission']);
    await writeFile(file, doc.toString({ lineWidth: 0 }));
  });
  const plan = await planLive(s());
  t.true(planChanges(plan.stdout).includes('node4 run command:etcd-member-data'), plan.stdout);
  const applied = await applyOnce(t);
  t.true(appliedBefore(applied, `run ${SYNC}`, 'run node4/command:etcd-member-data'), applied);
  t.true(appliedBefore(applied, 'run node4/command:etcd-member-data', 'create node4/service:etcd'), applied);
  t.deepEqual(await startedMembers(['node1', 'node2', 'node3', 'node4']), ['node1', 'node2', 'node3', 'node4'].map(member));
  t.regex(await onNode('node4', 'ls /var/lib/etcd'), /^node4\nnode4\.removed-\d{8}T\d{6}Z\n$/, 'the removed member\'s data is kept aside, not deleted');
  t.is(await dig(`node4.${ZONE} A`), address('node4'));
  await replanEmpty(t);
});
