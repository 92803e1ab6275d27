/**
 * A broken etcd upgrade on the 3 TLS members of examples/three-node-etcd, on real test hosts through the
 * real CLI (ADR 0026). The site is converged, then a good restarting change (`--heartbeat-interval 150`)
 * rolls out and completes: that revision is the cluster's last good one. Then a commit adds an invalid flag
 * (`--experimental-bad-flag`) to the module's etcd args with `maxUnavailable: 1`, `failureBudget: 0` and
 * `rollback: failed-nodes`: the first member's etcd does not come up, the breaker trips after it, and that
 * member alone goes back to the last good revision (its service definition as it was, etcd running with the
 * old flags) while the other two are never touched (same definition, same etcd process) and the cluster
 * stays healthy with 3 members. The apply exits non-zero with RolloutHalted naming the node, what failed
 * and its output; `underlay rollout status` shows the rollout halted with the rollback.
 */
import test from 'ava';
import path from 'node:path';
import type { E2ESite } from './support/e2e-site.js';
import { createTlsEtcdSite } from './support/tls-etcd-site.js';
import { editYaml, etcdHealthy, onNode as onNodeOf, setHeartbeat } from './support/etcd-checks.js';
import { ETCDCTL } from './support/etcd-writer.js';

const MEMBERS = ['node1', 'node2', 'node3'];

let site: E2ESite | undefined;
const s = (): E2ESite => site ?? (() => { throw new Error('the e2e site did not come up'); })();

const onNode = (name: string, script: string): Promise<string> => onNodeOf(s().hosts, name, script);
const clusterHealthy = (): Promise<string> => etcdHealthy(s().hosts, MEMBERS.length);

/** Each member's etcd: its service definition (runit run script), pid, start time and command line. */
async function members(): Promise<Record<string, { run: string; pid: string; started: string; cmdline: string }>> {
  const out: Record<string, { run: string; pid: string; started: string; cmdline: string }> = {};
  for (const n of MEMBERS) {
    const pid = (await onNode(n, 'pgrep -x etcd')).trim();
    out[n] = {
      run: await onNode(n, 'cat /etc/sv/etcd/run'),
      pid,
      started: (await onNode(n, `ps -o lstart= -p ${pid}`)).trim(),
      cmdline: (await onNode(n, `tr '\\0' ' ' < /proc/${pid}/cmdline`)).trim(),
    };
  }
  return out;
}

test.before(async () => {
  site = await createTlsEtcdSite({ count: 3 });
  const up = await site.underlay(['apply', '--no-color'], { timeoutMs: 240_000 });
  if (up.code !== 0) throw new Error(`the first apply failed:\n${up.stdout}\n${up.stderr}`);
  await clusterHealthy();
});

test.after.always(async () => {
  await site?.teardown();
});

test.serial('a broken upgrade trips the breaker after the first member, which is rolled back alone; the other two stay untouched and the cluster healthy', async (t) => {
  const good = await s().commit('etcd: --heartbeat-interval 150 (the last good revision)', (dir) => setHeartbeat(dir, 150));
  const rolled = await s().underlay(['apply', '--no-color'], { timeoutMs: 240_000 });
  t.is(rolled.code, 0, `${rolled.stdout}\n${rolled.stderr}`);
  await clusterHealthy();
  const before = await members();

  await s().commit('etcd: an invalid flag, rolled back automatically', async (dir) => {
    await editYaml(path.join(dir, 'modules/etcd.yaml'), (doc) => {
      const resources = doc.getIn(['spec', 'resources']) as { items: { toJSON(): Record<string, unknown> }[] };
      const index = resources.items.findIndex((r) => (r.toJSON().service as { name?: string } | undefined)?.name === 'etcd');
      doc.addIn(['spec', 'resources', index, 'service', 'args'], '--experimental-bad-flag');
    });
    await editYaml(path.join(dir, 'cluster.yaml'), (doc) => {
      doc.setIn(['spec', 'rollout', 'maxUnavailable'], 1);
      doc.setIn(['spec', 'rollout', 'failureBudget'], 0);
      doc.setIn(['spec', 'rollout', 'progressDeadline'], '15s');
      doc.setIn(['spec', 'rollout', 'rollback'], 'failed-nodes');
    });
  });
  const apply = await s().underlay(['apply', '--no-color'], { timeoutMs: 240_000 });
  const out = `${apply.stdout}\n${apply.stderr}`;
  t.not(apply.code, 0, out);
  t.regex(apply.stderr, /RolloutHalted \(FailureBudgetExceeded\): rollout of cluster etcd halted: 1 node\(s\) failed \(node1\), failure budget is 0; 2 remaining batch\(es\) not started \[node1: /, out);
  // The member gate's output is etcdctl's: runit keeps no log of etcd's own stderr (runit-backend.ts).
  t.regex(apply.stderr, new RegExp(`\\[node1: (service-up|member|quorum|change) (failed|timed out) ".*(is unhealthy|not running|exited).*" \\(rolled back to ${good}, healthy\\)\\]`), 'the halt names the node, the gate, its output, and the rollback');
  t.regex(apply.stdout, new RegExp(`rollback etcd batch 1: node1 rolled back to ${good}`), out);
  t.regex(apply.stdout, new RegExp(`rollback etcd batch 1: node1 healthy on ${good} after the rollback`), out);
  t.notRegex(apply.stdout, /applied +\S+ node[23]\/service:etcd/, 'the other members have no etcd change carried out (skipped: rollout halted)');

  await clusterHealthy();
  const after = await members();
  t.is(after.node1!.run, before.node1!.run, 'node1\'s service definition is the last good revision\'s again');
  t.notRegex(after.node1!.cmdline, /experimental-bad-flag/);
  t.regex(after.node1!.cmdline, / --heartbeat-interval=150 /, 'node1\'s etcd runs again with the old flags');
  for (const n of ['node2', 'node3']) {
    t.is(after[n]!.run, before[n]!.run, `${n}'s service definition untouched`);
    t.is(after[n]!.pid, before[n]!.pid, `${n}'s etcd never restarted`);
    t.is(after[n]!.started, before[n]!.started, `${n}'s etcd start time unchanged`);
  }
  const list = await onNode('node2', `${ETCDCTL} --command-timeout=5s member list`);
  t.is(list.trim().split('\n').filter((l) => /started/.test(l)).length, 3, list);

  const status = await s().underlay(['rollout', 'status', '--cluster', 'etcd']);
  t.regex(status.stdout, /Rollout of cluster etcd at [0-9a-f]+: halted \(FailureBudgetExceeded\)/, status.stdout);
  t.regex(status.stdout, new RegExp(`failed in batch 1: node1: .*\\(rolled back to ${good}, healthy\\)`), status.stdout);
  t.regex(status.stdout, /rolled back: node1/, status.stdout);
  t.regex(status.stdout, new RegExp(`last good revision: ${good}`), status.stdout);
  t.log(apply.stdout.split('\n').filter((l) => /rollback|rollout etcd|service:etcd/.test(l)).map((l) => l.trim()).join('\n'));
  t.log(apply.stderr.trim());
});
