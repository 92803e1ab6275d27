/**
 * Redeploy: nodes wiped to a fresh disk with new host keys, the new keys pinned by a commit, applied again,
 * end up byte-identical to the first deployment — twice in a row.
 */
import test from 'ava';
import { useE2ESite } from './support/e2e-site.js';
import { allRunitServices, managedFiles, managedRecord, sha256Of, ssh } from './support/node-checks.js';
import { poll } from '../hosts/exec.js';

const s = useE2ESite({ count: 3 });

interface Deployment {
  /** node -> managed file path -> sha256 of its bytes (read from the host). */
  files: Record<string, Record<string, string>>;
  /** node -> managed record (resource key -> spec hash). */
  managed: Record<string, Record<string, { hash: string }>>;
  /** node -> service -> 'run' (pids differ between deployments by nature). */
  services: Record<string, Record<string, string>>;
}

async function deployment(): Promise<Deployment> {
  const hosts = s().hosts;
  const names = hosts.hosts.map((h) => h.name);
  const running = await allRunitServices(hosts);
  return {
    files: Object.fromEntries(names.map((n) => [n, Object.fromEntries(managedFiles(hosts, n).map((p) => [p, sha256Of(hosts, n, p)]))])),
    managed: Object.fromEntries(names.map((n) => [n, managedRecord(hosts, n)])),
    services: Object.fromEntries(names.map((n) => [n, Object.fromEntries(Object.entries(running[n]!).map(([svc, pid]) => [svc, /^\d+$/.test(pid) ? 'run' : pid]))])),
  };
}

async function applyAndCheck(t: import('ava').ExecutionContext): Promise<Deployment> {
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  const lb = s().hosts.hosts[0]!;
  await poll('etcd healthy through haproxy', 30_000, async () => {
    const out = await ssh(s().hosts, 'node2', `ETCDCTL_API=3 etcdctl --endpoints=http://${lb.address}:12379 --command-timeout=3s endpoint health 2>&1`);
    return /is healthy/.test(out) ? out : undefined;
  }, 250);
  return deployment();
}

async function wipeAndRepin(t: import('ava').ExecutionContext, round: number): Promise<void> {
  const keysBefore = s().hosts.hosts.map((h) => h.hostKey);
  for (const h of [...s().hosts.hosts]) await s().hosts.wipeHost(h.name);
  const keysAfter = s().hosts.hosts.map((h) => h.hostKey);
  for (const [i, key] of keysAfter.entries()) t.not(key, keysBefore[i], 'a wiped node has a new host key');
  for (const h of s().hosts.hosts) t.deepEqual(managedRecord(s().hosts, h.name), {}, `${h.name} is empty after the wipe`);
  if (round === 1) {
    // The old pins must be refused before the new ones are committed: trust comes only from Git.
    const stale = await s().underlay(['apply', '--no-color']);
    t.not(stale.code, 0, 'apply with stale pins fails');
    for (const h of s().hosts.hosts) t.regex(stale.stdout, new RegExp(`node ${h.name} was unreachable \\(host key mismatch`));
    t.false(stale.stdout.includes('The nodes match'), stale.stdout);
    for (const h of s().hosts.hosts) t.deepEqual(managedRecord(s().hosts, h.name), {}, `${h.name} got nothing while its pin was stale`);
  }
  await s().repin(`redeploy ${round}: pin the new host keys`);
}

test.serial('wipe, repin and apply twice gives byte-identical files and the same services', async (t) => {
  const first = await applyAndCheck(t);
  t.true(Object.keys(first.files.node1 ?? {}).length >= 4);
  t.is(first.services.node1?.etcd, 'run');
  t.is(first.services.node1?.haproxy, 'run');

  await wipeAndRepin(t, 1);
  const second = await applyAndCheck(t);
  t.deepEqual(second, first);

  await wipeAndRepin(t, 2);
  const third = await applyAndCheck(t);
  t.deepEqual(third, first);

  const noop = await s().underlay(['apply', '--no-color']);
  t.is(noop.code, 0, noop.stderr);
  t.regex(noop.stdout, /No changes/);
});
