/**
 * The writer of the etcd rolling change (test/e2e/etcd-rolling-change.test.ts and bench/etcd-rolling): on
 * node2, it puts rolling/1, rolling/2, ... through haproxy on the VIP's name until told to stop, one
 * etcdctl per attempt; a failed attempt is logged and the same key tried again until it is acknowledged.
 * One implementation, so the test's assertions and the benchmark's figures are about the same writer.
 */
import { poll } from '../../hosts/exec.js';
import type { TestHostCluster } from '../../hosts/harness.js';

export const ETCD_ZONE = 'lab.example.net';
export const ETCDCTL = `ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/client.crt --key /etc/etcd/pki/client.key --endpoints https://etcd.${ETCD_ZONE}:2379`;
const WRITER_NODE = 'node2';

/** Each line of /root/writer.log: `ok|fail KEY-NUMBER EPOCH-MS`; /root/writer.done once it stopped. */
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

export interface Attempt {
  ok: boolean;
  key: number;
  at: number;
}

async function onNode(hosts: TestHostCluster, script: string): Promise<string> {
  const r = await hosts.run(WRITER_NODE, script);
  if (r.code !== 0) throw new Error(`${WRITER_NODE}: ${script}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

export async function writerLog(hosts: TestHostCluster): Promise<Attempt[]> {
  const text = await onNode(hosts, 'cat /root/writer.log');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [outcome, key, at] = line.split(' ');
      return { ok: outcome === 'ok', key: Number(key), at: Number(at) };
    });
}

/** Starts the writer afresh (its earlier log and keys' numbering gone) and resolves once it had a write acknowledged. */
export async function startWriter(hosts: TestHostCluster): Promise<void> {
  await onNode(hosts, `rm -f /root/writer.*; cat > /root/writer.sh <<'EOF'\n${WRITER}EOF\nsetsid nohup sh /root/writer.sh >/dev/null 2>&1 </dev/null &`);
  await poll('the writer acknowledged a write', 30_000, async () => ((await writerLog(hosts).catch(() => [])).some((a) => a.ok) ? true : undefined), 200);
}

/** Tells the writer to stop and waits until it has; then its log, and the distinct errors its failed attempts printed. */
export async function stopWriter(hosts: TestHostCluster): Promise<{ attempts: Attempt[]; errors: string }> {
  await onNode(hosts, 'touch /root/writer.stop');
  await poll('the writer stopped', 60_000, async () => ((await hosts.run(WRITER_NODE, 'test -e /root/writer.done')).code === 0 ? true : undefined), 200);
  return { attempts: await writerLog(hosts), errors: (await onNode(hosts, 'sort /root/writer.err | uniq -c | head -5')).trim() };
}

/** rolling/N → its value, as the cluster has them now (`get --prefix` prints key and value lines). */
export async function storedKeys(hosts: TestHostCluster): Promise<Map<number, string>> {
  const lines = (await onNode(hosts, `${ETCDCTL} --command-timeout=10s get rolling/ --prefix`)).trim().split('\n');
  const out = new Map<number, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(Number(lines[i]!.replace('rolling/', '')), lines[i + 1]!);
  return out;
}

/** The longest time between two acknowledged writes (or the window's ends) in [from, to], and when it began (ms after from). */
export function longestGap(attempts: readonly Attempt[], from: number, to: number): { ms: number; after: number } {
  const acks = [from, ...attempts.filter((a) => a.ok && a.at >= from && a.at <= to).map((a) => a.at), to];
  const gaps = acks.slice(1).map((at, i) => ({ ms: at - acks[i]!, after: acks[i]! - from }));
  return gaps.reduce((a, b) => (b.ms > a.ms ? b : a));
}
