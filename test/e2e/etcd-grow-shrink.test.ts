/**
 * Automatic iteration on real test hosts: an etcd cluster of three grows to four with one commit and one
 * apply (a staying member runs `member add`, then node4 starts with --initial-cluster-state=existing), and
 * shrinks back with `decommission: true` and one apply (`member remove` first, then node4 is dismantled).
 * Each apply is followed by a re-plan that must be empty. Then node4 comes back (decommission: false): a new
 * member for etcd, so its old data is set aside before its etcd starts, and it joins again in one apply.
 *
 * The site is the plain-HTTP variant of golden scenario 55 (its modules, with etcd-membership), without its
 * DNS zone: no DNS server runs here, and DNS records of a joining node are covered by the scenario goldens
 * and the zone tests. Four hosts are made; node4 has no Node document until the grow commit.
 */
import test, { type ExecutionContext } from 'ava';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { pinTestHosts } from '../../scripts/pin-test-hosts.js';
import { poll } from '../hosts/exec.js';
import { createE2ESite, type E2ESite } from './support/e2e-site.js';
import { managedRecord, runitServices, ssh } from './support/node-checks.js';
import { planChanges, planLive } from './support/plan-live.js';

const scenario = path.resolve(import.meta.dirname, '../scenarios/55-etcd-grow-member-add-before-join/repo');
let site: E2ESite | undefined;
let work: string | undefined;
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};

/** The scenario's site less its DNS zone, and with node4's document kept aside for the grow commit. */
async function variantSite(dir: string): Promise<string> {
  const repo = path.join(dir, 'site');
  await cp(scenario, repo, { recursive: true });
  await rm(path.join(repo, 'services'), { recursive: true });
  const cluster = parseDocument(await readFile(path.join(repo, 'cluster.yaml'), 'utf8'));
  cluster.deleteIn(['spec', 'dns']);
  await writeFile(path.join(repo, 'cluster.yaml'), cluster.toString({ lineWidth: 0 }));
  await cp(path.join(repo, 'nodes', 'node4.yaml'), path.join(dir, 'node4.yaml'));
  await rm(path.join(repo, 'nodes', 'node4.yaml'));
  return repo;
}

test.before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'underlay-grow-'));
  site = await createE2ESite({ count: 4, siteDir: await variantSite(work), pinned: 3 });
});
test.after.always(async () => {
  await site?.teardown();
  if (work) await rm(work, { recursive: true, force: true });
});

const address = (name: string): string => s().hosts.hosts.find((h) => h.name === name)!.address;

/** `etcdctl member list` through node2's own member: "status name peerURL" per member, sorted. */
async function members(): Promise<string[]> {
  const out = await ssh(s().hosts, 'node2', `ETCDCTL_API=3 etcdctl --endpoints=http://${address('node2')}:2379 --command-timeout=3s member list -w simple`);
  return out.trim().split('\n').map((line) => line.split(', ')).map((f) => `${f[1]} ${f[2]} ${f[3]}`).sort();
}

const member = (name: string): string => `started ${name} http://${address(name)}:2380`;

async function applyOnce(t: ExecutionContext): Promise<string> {
  const apply = await s().underlay(['apply', '--no-color'], { timeoutMs: 420_000 });
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  return apply.stdout;
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

async function replanEmpty(t: ExecutionContext): Promise<string> {
  const plan = await planLive(s(), ['--detailed-exitcode']);
  t.is(plan.code, 0, `a re-plan right after the apply is empty:\n${plan.stdout}\n${plan.stderr}`);
  t.deepEqual(planChanges(plan.stdout), []);
  return plan.stdout;
}

test.serial('three members come up from empty nodes; node4 is not in Git yet', async (t) => {
  await applyOnce(t);
  const three = await poll('three started members', 60_000, async () => {
    const list = await members().catch(() => []);
    return list.length === 3 && list.every((m) => m.startsWith('started')) ? list : undefined;
  }, 500);
  t.deepEqual(three, ['node1', 'node2', 'node3'].map(member));
  t.deepEqual(managedRecord(s().hosts, 'node4'), {}, 'nothing on node4');
  await replanEmpty(t);
});

test.serial('grow: one commit adding node4 and one apply make it a started member that serves reads', async (t) => {
  await s().commit('grow: node4 joins the etcd cluster', async (repo) => {
    await cp(path.join(work!, 'node4.yaml'), path.join(repo, 'nodes', 'node4.yaml'));
    await pinTestHosts(s().hosts.hosts.filter((h) => h.name === 'node4'), repo);
  });
  const plan = await planLive(s());
  t.is(plan.code, 0, plan.stderr);
  const changes = planChanges(plan.stdout);
  for (const c of ['node1 run command:etcd-membership', 'node1 update file:/etc/etcd/members', 'node1 reload service:haproxy', 'node4 create service:etcd']) {
    t.true(changes.includes(c), `${c} in:\n${plan.stdout}`);
  }
  t.false(changes.some((c) => /^node[123] restart service:etcd$/.test(c)), 'no staying member restarts');
  t.regex(plan.stdout, /--initial-cluster-state=existing/);
  t.true(await waitsInLivePlan('node4/service:etcd', 'node1/command:etcd-membership'), 'the plan orders the member add before node4 starts');

  const applied = await applyOnce(t);
  // The member add on node1 finished before node4's etcd was first started, so that start joined at once.
  t.true(appliedBefore(applied, 'run node1/command:etcd-membership', 'create node4/service:etcd'), applied);
  const four = await poll('four started members', 60_000, async () => {
    const list = await members().catch(() => []);
    return list.length === 4 && list.every((m) => m.startsWith('started')) ? list : undefined;
  }, 500);
  t.deepEqual(four, ['node1', 'node2', 'node3', 'node4'].map(member));

  await ssh(s().hosts, 'node1', `ETCDCTL_API=3 etcdctl --endpoints=http://${address('node1')}:2379 put grown yes`);
  const read = await ssh(s().hosts, 'node3', `ETCDCTL_API=3 etcdctl --endpoints=http://${address('node4')}:2379 --command-timeout=5s get grown --print-value-only`);
  t.is(read.trim(), 'yes', 'node4 serves a linearizable read');
  const cfg = await ssh(s().hosts, 'node1', 'cat /etc/haproxy/haproxy.cfg');
  t.true(cfg.includes(`server member4 ${address('node4')}:2379 check`), cfg);
  await replanEmpty(t);
});

test.serial('shrink: decommission: true and one apply remove node4 from etcd, then dismantle it', async (t) => {
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
  t.true(await waitsInLivePlan('node4/service:etcd', 'node1/command:etcd-membership'), 'the plan orders the member remove before node4 stops');

  const applied = await applyOnce(t);
  for (const teardown of ['delete node4/service:etcd', 'delete node4/file:/etc/etcd/etcdctl.env']) {
    t.true(appliedBefore(applied, 'run node1/command:etcd-membership', teardown), `${teardown} after the member remove:\n${applied}`);
  }
  t.deepEqual(await members(), ['node1', 'node2', 'node3'].map(member));
  t.deepEqual(managedRecord(s().hosts, 'node4'), {}, 'underlay manages nothing on node4 any more');
  t.is((await runitServices(s().hosts, 'node4')).etcd, undefined, 'no etcd service left on node4');
  t.false(existsSync(path.join(s().hosts.hosts[3]!.upperDir, 'etc/sv/etcd')), 'its service definition is gone');
  const cfg = await ssh(s().hosts, 'node1', 'cat /etc/haproxy/haproxy.cfg');
  t.false(cfg.includes(address('node4')), cfg);

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
  t.true(appliedBefore(applied, 'run node1/command:etcd-membership', 'run node4/command:etcd-member-data'), applied);
  t.true(appliedBefore(applied, 'run node4/command:etcd-member-data', 'create node4/service:etcd'), applied);
  const four = await poll('four started members', 60_000, async () => {
    const list = await members().catch(() => []);
    return list.length === 4 && list.every((m) => m.startsWith('started')) ? list : undefined;
  }, 500);
  t.deepEqual(four, ['node1', 'node2', 'node3', 'node4'].map(member));
  t.regex(await ssh(s().hosts, 'node4', 'ls /var/lib/etcd'), /^node4\nnode4\.removed-\d{8}T\d{6}Z\n$/, 'the removed member\'s data is kept aside, not deleted');
  await replanEmpty(t);
});
