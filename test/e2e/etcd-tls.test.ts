/**
 * The TLS etcd example (examples/three-node-etcd) on three real runit test hosts, through the real CLI:
 * from empty nodes ONE apply brings up BIND on node3 (its TSIG key delivered as a secretFile), the zones'
 * records after it, the VIP on node1, a 3-member etcd with TLS on both ports (certificates from the site CA
 * for keys made on the nodes) and haproxy on the VIP, and every node's resolver pointed at that BIND. Then
 * `etcdctl` inside node2's namespace reaches https://etcd.<zone>:2379 by name through that BIND, `dig` and
 * `openssl` check the records and the certificates, and a re-plan is empty. Then two redeploys (nodes
 * wiped with new host keys, re-pinned, applied): the same result but for keys, serials and certificates,
 * which are new, and the plan says so. The CA key and the TSIG key are made here, into the secret store.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { poll } from '../hosts/exec.js';
import type { E2ESite } from './support/e2e-site.js';
import { createTlsEtcdSite } from './support/tls-etcd-site.js';
import { allRunitServices, managedFiles, managedRecord, onHost, sha256Of } from './support/node-checks.js';
import { planChanges } from './support/plan-live.js';

const ZONE = 'lab.example.net';
let site: E2ESite | undefined;
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};

test.before(async () => {
  site = await createTlsEtcdSite({ count: 3 });
});

test.after.always(async () => {
  await site?.teardown();
});

const host = (name: string) => s().hosts.hosts.find((h) => h.name === name)!;
const net = (): string => host('node1').address.split('.').slice(0, 3).join('.');
const vip = (): string => `${net()}.200`;

/** A command inside a node's namespaces (its resolv.conf, its network), as a person logged in there. */
async function onNode(name: string, script: string): Promise<string> {
  const r = await s().hosts.run(name, script);
  if (r.code !== 0) throw new Error(`${name}: ${script}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const ETCDCTL = `ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/client.crt --key /etc/etcd/pki/client.key --endpoints https://etcd.${ZONE}:2379 --command-timeout=3s`;

/** `etcdctl endpoint health` on node2 through etcd.<zone> (its resolver: node3's BIND), once it answers healthy. */
async function healthThroughName(): Promise<string> {
  return poll('etcd healthy through etcd.<zone>', 60_000, async () => {
    const r = await s().hosts.run('node2', `${ETCDCTL} endpoint health 2>&1`);
    return r.code === 0 && /is healthy/.test(r.stdout) ? r.stdout : undefined;
  }, 500);
}

const dig = (args: string): Promise<string> => onNode('node1', `dig +short ${args}`).then((o) => o.trim());

async function applyOk(t: ExecutionContext): Promise<string> {
  const r = await s().underlay(['apply', '--no-color'], { timeoutMs: 400_000 });
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// stderr kept out: `-ext subjectAltName` of a certificate without one says so there.
const openssl = (args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const certFile = (node: string, which: string): string => onHost(s().hosts, node, `/etc/etcd/pki/${which}.crt`);
const serialOf = (node: string, which: string): string => openssl(['x509', '-noout', '-serial', '-in', certFile(node, which)]).trim();
const sansOf = (node: string, which: string): string => openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', certFile(node, which)]).trim();

test.serial('one apply from empty nodes: etcd over TLS through haproxy on the VIP, by name through the site\'s BIND', async (t) => {
  const out = await applyOk(t);
  t.regex(out, /zone lab is not served yet: its server node3 does not run service:named yet/, 'the first plan says why the zones are planned empty');

  const health = await healthThroughName();
  t.regex(health, new RegExp(`https://etcd\\.${ZONE.replaceAll('.', '\\.')}:2379 is healthy`));
  const members = await onNode('node2', `${ETCDCTL} member list -w simple`);
  t.is(members.trim().split('\n').length, 3, members);
  // Without a client certificate the cluster refuses (--client-cert-auth).
  const anonymous = await s().hosts.run('node2', `ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --endpoints https://etcd.${ZONE}:2379 --command-timeout=3s endpoint health 2>&1`);
  t.not(anonymous.code, 0, anonymous.stdout);

  t.is(await dig(`etcd.${ZONE} A`), vip(), 'etcd.<zone> is the VIP');
  for (const name of ['node1', 'node2', 'node3']) {
    t.is(await dig(`${name}.${ZONE} A`), host(name).address);
    t.is(await dig(`-x ${host(name).address}`), `${name}.${ZONE}.`, `PTR of ${name}`);
  }
  t.regex(await onNode('node1', 'ip -o -4 addr show dev eth0'), new RegExp(` ${vip().replaceAll('.', '\\.')}/24 `), 'the VIP is up on node1 (the lb node)');
  t.regex(readFileSync(onHost(s().hosts, 'node2', '/etc/resolv.conf'), 'utf8'), new RegExp(`^nameserver ${host('node3').address.replaceAll('.', '\\.')}$`, 'm'));
  // The TSIG key reached the dns node only.
  t.is(readFileSync(onHost(s().hosts, 'node3', '/etc/bind/underlay/tsig.key'), 'utf8'), readFileSync(path.join(s().secretsDir, 'lab-tsig'), 'utf8'));
  t.throws(() => readFileSync(onHost(s().hosts, 'node1', '/etc/bind/underlay/tsig.key')));
  // An unsigned update is refused by that BIND.
  const unsigned = await s().hosts.run('node1', `printf 'server ${host('node3').address}\\nzone ${ZONE}\\nupdate add evil.${ZONE} 60 A 198.18.255.1\\nsend\\n' | nsupdate 2>&1`);
  t.regex(unsigned.stdout + unsigned.stderr, /REFUSED/);
});

test.serial('the issued certificates verify against the site CA with the SANs and usages the example asks for', (t) => {
  const ca = path.join(s().repoDir, 'ca/site-ca.pem');
  for (const node of ['node1', 'node2', 'node3']) for (const which of ['peer', 'server', 'client']) t.regex(openssl(['verify', '-CAfile', ca, certFile(node, which)]), /: OK/, `${node} ${which}`);
  const server = openssl(['x509', '-noout', '-text', '-in', certFile('node2', 'server')]);
  t.regex(server, new RegExp(`DNS:etcd\\.${ZONE.replaceAll('.', '\\.')}, DNS:node2\\.${ZONE.replaceAll('.', '\\.')}, IP Address:${host('node2').address.replaceAll('.', '\\.')}, IP Address:${vip().replaceAll('.', '\\.')}`));
  t.regex(server, /TLS Web Server Authentication\n/);
  t.regex(server, /CA:FALSE/);
  t.regex(openssl(['x509', '-noout', '-text', '-in', certFile('node2', 'peer')]), /TLS Web Server Authentication, TLS Web Client Authentication/);
  t.regex(openssl(['x509', '-noout', '-text', '-in', certFile('node2', 'client')]), /TLS Web Client Authentication\n/);
});

test.serial('a re-plan right after the apply is empty', async (t) => {
  const plan = await s().underlay(['plan', '--no-color']);
  t.is(plan.code, 0, plan.stderr);
  t.deepEqual(planChanges(plan.stdout), [], plan.stdout);
});

/** What a deployment is, but for what is new by nature on every one: keys, serials and certificates. */
async function deployment(): Promise<unknown> {
  const hosts = s().hosts;
  const names = hosts.hosts.map((h) => h.name);
  const fresh = (p: string): boolean => p.startsWith('/etc/etcd/pki/') && p !== '/etc/etcd/pki/ca.crt';
  const running = await allRunitServices(hosts);
  const records = await Promise.all(['etcd', 'node1', 'node2', 'node3'].map((n) => dig(`${n}.${ZONE} A`)));
  return {
    files: Object.fromEntries(names.map((n) => [n, Object.fromEntries(managedFiles(hosts, n).filter((p) => !fresh(p)).map((p) => [p, sha256Of(hosts, n, p)]))])),
    managed: Object.fromEntries(names.map((n) => [n, Object.fromEntries(Object.entries(managedRecord(hosts, n)).filter(([k]) => !k.startsWith('certificate:')))])),
    services: Object.fromEntries(names.map((n) => [n, Object.keys(running[n]!).sort()])),
    sans: Object.fromEntries(names.map((n) => [n, ['peer', 'server', 'client'].map((w) => sansOf(n, w))])),
    records,
  };
}

interface PlannedChange {
  id: string;
  kind: string;
  action: string;
  reason: string;
}

async function wipeRepinAndPlan(t: ExecutionContext, round: number): Promise<{ changes: PlannedChange[]; warnings: string[] }> {
  for (const h of [...s().hosts.hosts]) await s().hosts.wipeHost(h.name);
  await s().repin(`redeploy ${round}: pin the new host keys`);
  const plan = await s().underlay(['plan', '--output', 'json']);
  t.is(plan.code, 0, plan.stderr);
  return JSON.parse(plan.stdout) as { changes: PlannedChange[]; warnings: string[] };
}

test.serial('redeploy twice: wiped, re-pinned and applied, the same but for keys, serials and certificates, and the plan says so', async (t) => {
  const first = await deployment();
  const serials = new Set(['node1', 'node2', 'node3'].flatMap((n) => ['peer', 'server', 'client'].map((w) => serialOf(n, w))));
  for (const round of [1, 2]) {
    const plan = await wipeRepinAndPlan(t, round);
    const certificates = plan.changes.filter((c) => c.kind === 'certificate');
    t.is(certificates.length, 9, 'three certificates on each node');
    for (const c of certificates) t.true(c.action === 'create' && c.reason.startsWith('issue:'), `${c.id}: ${c.reason}`);
    t.deepEqual(plan.changes.filter((c) => c.kind === 'ip'), [], 'the VIP stays allocated: no new allocation');
    t.true(plan.warnings.some((w) => /zone lab is not served yet/.test(w)), plan.warnings.join('\n'));
    t.is(plan.changes.filter((c) => c.kind === 'dns').length, 7, 'the zones start empty on the wiped node3: every record again');

    await applyOk(t);
    await healthThroughName();
    t.deepEqual(await deployment(), first, `redeploy ${round}: the same files, services, SANs and records`);
    for (const n of ['node1', 'node2', 'node3']) {
      for (const w of ['peer', 'server', 'client']) {
        const serial = serialOf(n, w);
        t.false(serials.has(serial), `${n} ${w}: a new serial`);
        serials.add(serial);
      }
    }
  }
  const again = await s().underlay(['plan', '--no-color']);
  t.deepEqual(planChanges(again.stdout), [], again.stdout);
});
