/**
 * An etcd configuration change rolled across the 3 TLS members of examples/three-node-etcd on real test
 * hosts, through the real CLI, while a writer on node2 puts keys through haproxy on the VIP
 * (https://etcd.<zone>:2379, by name through the site's BIND) the whole time. The change (`--heartbeat-
 * interval`, a Site param) restarts etcd: the plan puts one member in each batch, each gated on the
 * module's `member` and `quorum` (`etcdctl endpoint health --cluster`) gates and drained from haproxy (its
 * runtime API over socat) before its restart, undrained after its gates passed. Afterwards every write the
 * writer saw acknowledged is readable, every failed attempt succeeded on a retry of the same key, and no
 * server is left in maintenance. The longest time between two acknowledged writes during the apply is
 * logged, not asserted (a measurement of real daemons on a shared machine); `npm run bench:etcd-rolling`
 * measures it over several runs with the same writer (test/e2e/support/etcd-writer.ts).
 */
import test, { type ExecutionContext } from 'ava';
import { readFile } from 'node:fs/promises';
import { poll } from '../hosts/exec.js';
import type { E2ESite } from './support/e2e-site.js';
import { createTlsEtcdSite } from './support/tls-etcd-site.js';
import { planChanges } from './support/plan-live.js';
import { ETCDCTL, longestGap, startWriter, stopWriter, storedKeys } from './support/etcd-writer.js';
import { onNode as onNodeOf, setHeartbeat } from './support/etcd-checks.js';

const MEMBERS = ['node1', 'node2', 'node3'];
const SOCKET = '/var/lib/haproxy/admin.sock';

let site: E2ESite | undefined;
const s = (): E2ESite => site ?? (() => { throw new Error('the e2e site did not come up'); })();

const onNode = (name: string, script: string): Promise<string> => onNodeOf(s().hosts, name, script);

const healthy = (): Promise<string> => poll('etcd healthy through etcd.<zone>', 60_000, async () => {
  const r = await s().hosts.run('node2', `${ETCDCTL} --command-timeout=3s endpoint health 2>&1`);
  return r.code === 0 && /is healthy/.test(r.stdout) ? r.stdout : undefined;
}, 500);

test.before(async () => {
  site = await createTlsEtcdSite({ count: 3 });
  const up = await site.underlay(['apply', '--no-color'], { timeoutMs: 400_000 });
  if (up.code !== 0) throw new Error(`the first apply failed:\n${up.stdout}\n${up.stderr}`);
  await healthy();
});

test.after.always(async () => {
  await site?.teardown();
});

/** The running etcd's pid and command line on each member. */
async function etcdProcesses(): Promise<Record<string, { pid: string; cmdline: string }>> {
  const out: Record<string, { pid: string; cmdline: string }> = {};
  for (const n of MEMBERS) {
    const pid = (await onNode(n, 'pgrep -x etcd')).trim();
    out[n] = { pid, cmdline: (await onNode(n, `tr '\\0' ' ' < /proc/${pid}/cmdline`)).trim() };
  }
  return out;
}

interface RolloutJson { cluster: string; batches: { batch: number; nodes: string[]; gates: string[] }[]; gates?: Record<string, { drain: { on: string; argv: string[] }[]; undrain: unknown[] }> }

test.serial('a restarting etcd change goes one member at a time, drained and quorum-gated, and the writer through haproxy loses no write', async (t) => {
  await s().commit('etcd: --heartbeat-interval 150', (dir) => setHeartbeat(dir, 150));
  const plan = await s().underlay(['plan', '--output', 'json']);
  t.is(plan.code, 0, plan.stderr);
  const rollout = (JSON.parse(plan.stdout) as { rollout: RolloutJson[] }).rollout.find((r) => r.cluster === 'etcd');
  t.deepEqual(rollout?.batches.map((b) => b.nodes), MEMBERS.map((n) => [n]), 'one member per batch, by name');
  for (const b of rollout!.batches) t.deepEqual(b.gates, ['service-up', 'member', 'quorum'], `batch ${b.batch}'s gates`);
  for (const n of MEMBERS) t.deepEqual(rollout!.gates?.[n]?.drain.map((d) => d.on), ['node1'], `${n} is drained on the lb node`);

  const before = await etcdProcesses();
  await startWriter(s().hosts);
  const from = Date.now();
  const apply = await s().underlay(['apply', '--no-color'], { timeoutMs: 400_000 });
  const to = Date.now();
  const { attempts, errors } = await stopWriter(s().hosts);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  assertBatchOrder(t, apply.stdout);
  const after = await etcdProcesses();
  for (const n of MEMBERS) {
    t.not(after[n]!.pid, before[n]!.pid, `etcd restarted on ${n}`);
    t.regex(after[n]!.cmdline, / --heartbeat-interval=150 /, n);
    t.regex(before[n]!.cmdline, / --heartbeat-interval=100 /, n);
  }

  const acknowledged = attempts.filter((a) => a.ok);
  t.true(acknowledged.some((a) => a.at > from && a.at < to), 'writes were acknowledged while the rollout ran');
  const failed = attempts.filter((a) => !a.ok);
  for (const f of failed) t.true(acknowledged.some((a) => a.key === f.key && a.at >= f.at), `the failed put of rolling/${f.key} succeeded on a retry`);
  const now = await storedKeys(s().hosts);
  const lost = acknowledged.filter((a) => now.get(a.key) !== `v${a.key}`).map((a) => a.key);
  t.deepEqual(lost, [], 'every acknowledged write is readable');
  t.is(now.size, acknowledged.length, 'nothing but the acknowledged keys');
  const stat = await onNode('node1', `echo "show stat" | socat stdio ${SOCKET} | grep "^etcd,node"`);
  t.is(stat.trim().split('\n').length, 3, stat);
  t.notRegex(stat, /MAINT/, 'every member is back in haproxy');
  const gap = longestGap(attempts, from, to);
  t.log(`writer: ${acknowledged.length} writes acknowledged, ${failed.length} failed attempts (all retried: ${errors || 'no message'}), longest gap without an acknowledged write during the apply ${gap.ms} ms (from ${gap.after} ms into it); apply took ${to - from} ms; load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`);
  t.log(apply.stdout.split('\n').filter((l) => /rollout etcd|service:etcd/.test(l)).map((l) => l.trim()).join('\n'));

  const again = await s().underlay(['plan', '--no-color']);
  t.deepEqual(planChanges(again.stdout), [], again.stdout);
});

/**
 * Per batch, in order: the member drained, its etcd updated (the new definition restarts it), undrained
 * (which apply does only once its gates passed), the batch reported healthy; the next batch only after that.
 */
function assertBatchOrder(t: ExecutionContext, out: string): void {
  const lines = out.split('\n');
  const at = (re: RegExp, after: number): number => lines.findIndex((l, i) => i > after && re.test(l));
  let last = -1;
  MEMBERS.forEach((node, i) => {
    const batch = i + 1;
    const drained = at(new RegExp(`rollout etcd batch ${batch}: drain ${node} done`), last);
    const updated = at(new RegExp(`applied update ${node}/service:etcd `), drained);
    const undrained = at(new RegExp(`rollout etcd batch ${batch}: undrain ${node} done`), updated);
    const gated = at(new RegExp(`rollout etcd batch ${batch} \\(${node}\\): healthy`), undrained);
    t.true(drained > last && updated > drained && undrained > updated && gated > undrained, `batch ${batch} (${node}): drain ${drained}, update ${updated}, undrain ${undrained}, healthy ${gated}\n${out}`);
    last = gated;
  });
  t.is(lines.filter((l) => /applied update node\d\/service:etcd /.test(l)).length, 3, 'each member restarted once');
}
