/**
 * An etcd configuration change rolled across the 3 TLS members of examples/three-node-etcd on real test
 * hosts, through the real CLI, while a writer on node2 puts keys through haproxy on the VIP
 * (https://etcd.<zone>:2379, by name through the site's BIND) the whole time. The change (`--heartbeat-
 * interval`, a Site param) restarts etcd: the plan puts one member in each batch, each gated on the
 * module's `member` and `quorum` (`etcdctl endpoint health --cluster`) gates and drained from haproxy (its
 * runtime API over socat) before its restart, undrained after its gates passed. Afterwards every write the
 * writer saw acknowledged is readable, every failed attempt succeeded on a retry of the same key, and no
 * server is left in maintenance. The longest time between two acknowledged writes during the apply is
 * logged for bench/RESULTS.md, not asserted (a measurement of real daemons on a shared machine).
 */
import test, { type ExecutionContext } from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { poll } from '../hosts/exec.js';
import type { E2ESite } from './support/e2e-site.js';
import { createTlsEtcdSite } from './support/tls-etcd-site.js';
import { planChanges } from './support/plan-live.js';

const ZONE = 'lab.example.net';
const MEMBERS = ['node1', 'node2', 'node3'];
const SOCKET = '/var/lib/haproxy/admin.sock';
const ETCDCTL = `ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/client.crt --key /etc/etcd/pki/client.key --endpoints https://etcd.${ZONE}:2379`;

let site: E2ESite | undefined;
const s = (): E2ESite => site ?? (() => { throw new Error('the e2e site did not come up'); })();

async function onNode(name: string, script: string): Promise<string> {
  const r = await s().hosts.run(name, script);
  if (r.code !== 0) throw new Error(`${name}: ${script}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const healthy = (): Promise<string> => poll('etcd healthy through etcd.<zone>', 60_000, async () => {
  const r = await s().hosts.run('node2', `${ETCDCTL} --command-timeout=3s endpoint health 2>&1`);
  return r.code === 0 && /is healthy/.test(r.stdout) ? r.stdout : undefined;
}, 500);

async function setHeartbeat(dir: string, ms: number): Promise<void> {
  const file = path.join(dir, 'site.yaml');
  const doc = parseDocument(await readFile(file, 'utf8'));
  doc.setIn(['spec', 'params', 'etcdHeartbeatInterval'], ms);
  await writeFile(file, doc.toString());
}

test.before(async () => {
  site = await createTlsEtcdSite({ count: 3 });
  const up = await site.underlay(['apply', '--no-color'], { timeoutMs: 400_000 });
  if (up.code !== 0) throw new Error(`the first apply failed:\n${up.stdout}\n${up.stderr}`);
  await healthy();
});

test.after.always(async () => {
  await site?.teardown();
});

/**
 * Puts rolling/1, rolling/2, ... through the VIP's name until /root/writer.stop exists, one etcdctl per
 * attempt; a failed attempt is logged and the same key tried again until it is acknowledged. Each line of
 * /root/writer.log: `ok|fail KEY-NUMBER EPOCH-MS`; /root/writer.done once it stopped.
 */
const WRITER = `i=0
while [ ! -e /root/writer.stop ]; do
  i=$((i+1))
  until ${ETCDCTL} --dial-timeout=2s --command-timeout=2s put rolling/$i v$i >/dev/null 2>>/root/writer.err; do
    echo "fail $i $(date +%s%3N)" >> /root/writer.log
  done
  echo "ok $i $(date +%s%3N)" >> /root/writer.log
done
touch /root/writer.done
`;

interface Attempt { ok: boolean; key: number; at: number }

async function writerLog(): Promise<Attempt[]> {
  const text = await onNode('node2', 'cat /root/writer.log');
  return text.trim().split('\n').map((line) => {
    const [outcome, key, at] = line.split(' ');
    return { ok: outcome === 'ok', key: Number(key), at: Number(at) };
  });
}

/** rolling/N → its value, as the cluster has them now (`get --prefix` prints key and value lines). */
async function stored(): Promise<Map<number, string>> {
  const lines = (await onNode('node2', `${ETCDCTL} --command-timeout=10s get rolling/ --prefix`)).trim().split('\n');
  const out = new Map<number, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(Number(lines[i]!.replace('rolling/', '')), lines[i + 1]!);
  return out;
}

/** The longest time between two acknowledged writes (or the window's ends) in [from, to], and when it began (ms after from). */
function longestGap(attempts: readonly Attempt[], from: number, to: number): { ms: number; after: number } {
  const acks = [from, ...attempts.filter((a) => a.ok && a.at >= from && a.at <= to).map((a) => a.at), to];
  const gaps = acks.slice(1).map((at, i) => ({ ms: at - acks[i]!, after: acks[i]! - from }));
  return gaps.reduce((a, b) => (b.ms > a.ms ? b : a));
}

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
  await onNode('node2', `rm -f /root/writer.*; cat > /root/writer.sh <<'EOF'\n${WRITER}EOF\nsetsid nohup sh /root/writer.sh >/dev/null 2>&1 </dev/null &`);
  await poll('the writer acknowledged a write', 30_000, async () => ((await writerLog().catch(() => [])).some((a) => a.ok) ? true : undefined), 200);
  const from = Date.now();
  const apply = await s().underlay(['apply', '--no-color'], { timeoutMs: 400_000 });
  const to = Date.now();
  await onNode('node2', 'touch /root/writer.stop');
  await poll('the writer stopped', 60_000, async () => ((await s().hosts.run('node2', 'test -e /root/writer.done')).code === 0 ? true : undefined), 200);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  assertBatchOrder(t, apply.stdout);
  const after = await etcdProcesses();
  for (const n of MEMBERS) {
    t.not(after[n]!.pid, before[n]!.pid, `etcd restarted on ${n}`);
    t.regex(after[n]!.cmdline, / --heartbeat-interval=150 /, n);
    t.regex(before[n]!.cmdline, / --heartbeat-interval=100 /, n);
  }

  const attempts = await writerLog();
  const acknowledged = attempts.filter((a) => a.ok);
  t.true(acknowledged.some((a) => a.at > from && a.at < to), 'writes were acknowledged while the rollout ran');
  const failed = attempts.filter((a) => !a.ok);
  for (const f of failed) t.true(acknowledged.some((a) => a.key === f.key && a.at >= f.at), `the failed put of rolling/${f.key} succeeded on a retry`);
  const now = await stored();
  const lost = acknowledged.filter((a) => now.get(a.key) !== `v${a.key}`).map((a) => a.key);
  t.deepEqual(lost, [], 'every acknowledged write is readable');
  t.is(now.size, acknowledged.length, 'nothing but the acknowledged keys');
  const stat = await onNode('node1', `echo "show stat" | socat stdio ${SOCKET} | grep "^etcd,node"`);
  t.is(stat.trim().split('\n').length, 3, stat);
  t.notRegex(stat, /MAINT/, 'every member is back in haproxy');
  const gap = longestGap(attempts, from, to);
  const errors = (await onNode('node2', 'sort /root/writer.err | uniq -c | head -5')).trim();
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
