/**
 * Every gate type against real daemons on real test hosts, healthy and unhealthy, through the gate runner
 * and its real probes (TCP and HTTPS from this process, argv over the real SSH transport): an HTTPS server
 * (`openssl s_server`) on node1 with a certificate from a CA made by the real `openssl`, pinned; a command
 * on the node; a real 3-member etcd as the cluster-level check (`etcdctl endpoint health --cluster`), run
 * on a member that can be reached. Retries run on real time here (the clock and timers of the process),
 * bounded by short deadlines; no assertion is about time.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { systemClock, systemTimers } from '../../controller/clock.js';
import { controllerGateProbes } from '../../controller/apply/gate-probes.js';
import { GateRunner, type NodeGateRun } from '../../controller/apply/gate-runner.js';
import type { DesiredGate } from '../../controller/model/health-gate.js';
import { SshTransport } from '../../controller/transport/ssh-transport.js';
import type { NodeEndpoint } from '../../controller/transport/transport.js';
import { createTestHosts, type TestHostCluster } from '../hosts/harness.js';
import { poll } from '../hosts/exec.js';

let cluster: TestHostCluster | undefined;
let transport: SshTransport | undefined;
let work = '';
const pems: Record<string, string> = {};
const HTTPS_PORT = 8443;

const hosts = (): TestHostCluster => cluster ?? (() => { throw new Error('the test hosts did not come up'); })();
const addressOf = (name: string): string => hosts().hosts.find((h) => h.name === name)!.address;

function endpointOf(name: string): NodeEndpoint | undefined {
  const h = cluster?.hosts.find((x) => x.name === name);
  return h ? { name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey } : undefined;
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
}

/** A CA, and a server certificate for node1's address signed by it; a second CA that signed nothing of node1's. */
async function makeCertificates(): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=gates test CA', '-days', '1');
  openssl('req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-subj', '/CN=another CA', '-days', '1');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=node1');
  await writeFile(path.join(work, 'san.ext'), `subjectAltName=IP:${addressOf('node1')}\n`);
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
  for (const name of ['ca.pem', 'other.pem', 'server.pem', 'server.key']) pems[name] = await readFile(path.join(work, name), 'utf8');
}

/** Runs a daemon in the background on a node, detached from the nsenter that started it. */
async function daemon(node: string, argv: string, log: string): Promise<void> {
  const r = await hosts().run(node, `setsid nohup ${argv} >${log} 2>&1 </dev/null &`);
  if (r.code !== 0) throw new Error(`${node}: ${argv}: ${r.stderr}`);
}

async function put(node: string, file: string, content: string): Promise<void> {
  const r = await transport!.exec(endpointOf(node)!, ['sh', '-c', 'cat > "$1"', 'put', file], { stdin: content });
  if (r.code !== 0) throw new Error(`${node}: writing ${file}: ${r.stderr.toString()}`);
}

const peers = (): string => ['node1', 'node2', 'node3'].map((n) => `${n}=http://${addressOf(n)}:2380`).join(',');

async function startEtcd(node: string): Promise<void> {
  const a = addressOf(node);
  const flags = [
    `--name ${node} --data-dir /var/lib/gates-etcd`,
    `--listen-peer-urls http://${a}:2380 --initial-advertise-peer-urls http://${a}:2380`,
    `--listen-client-urls http://${a}:2379 --advertise-client-urls http://${a}:2379`,
    `--initial-cluster ${peers()} --initial-cluster-state new --initial-cluster-token gates`,
  ];
  await daemon(node, `etcd ${flags.join(' ')}`, '/var/log/gates-etcd.log');
}

test.before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'underlay-gates-'));
  cluster = await createTestHosts({ count: 3 });
  transport = new SshTransport({ auth: { type: 'key-file', path: cluster.clientKeyPath } });
  await makeCertificates();
  await put('node1', '/etc/gates-server.pem', pems['server.pem']!);
  await put('node1', '/etc/gates-server.key', pems['server.key']!);
  await daemon('node1', `openssl s_server -accept ${HTTPS_PORT} -www -cert /etc/gates-server.pem -key /etc/gates-server.key`, '/var/log/gates-https.log');
  await Promise.all(['node1', 'node2', 'node3'].map(startEtcd));
});

test.after.always(async () => {
  await transport?.close();
  await cluster?.teardown();
  if (work) await rm(work, { recursive: true, force: true });
});

const runner = (): GateRunner => new GateRunner({ probes: controllerGateProbes(transport!, endpointOf), clock: systemClock, timers: systemTimers, redact: (s) => s, retryIntervalMs: 500 });

function run(gates: DesiredGate[], extra: Partial<NodeGateRun> = {}): NodeGateRun {
  return { node: 'node1', gates, deadline: new Date(Date.now() + 20_000), serviceUp: async () => ({ healthy: true, output: '' }), members: ['node2', 'node3'], ...extra };
}

const gate = (g: Record<string, unknown> & { type: DesiredGate['type'] }): DesiredGate => ({ name: `${g.type}-gate`, timeoutSeconds: 5, origin: 'test', ...g }) as DesiredGate;

test.serial('TCP: a listening port passes (from the controller and from another node); a closed one fails with why', async (t) => {
  const a = addressOf('node1');
  t.deepEqual(await runner().runNodeGates(run([gate({ type: 'tcp', host: a, port: HTTPS_PORT })])), { healthy: true, passed: ['tcp-gate'] });
  t.deepEqual(await runner().runNodeGates(run([gate({ type: 'tcp', host: a, port: HTTPS_PORT, from: 'node2' })])), { healthy: true, passed: ['tcp-gate'] });
  const closed = await runner().runNodeGates(run([gate({ type: 'tcp', host: a, port: 8444 })], { deadline: new Date(Date.now() + 1500) }));
  t.like(closed, { healthy: false, gate: 'tcp-gate', deadlineExceeded: true });
  t.regex(closed.healthy ? '' : closed.output, /no connection to 198\.\S+:8444: connect ECONNREFUSED/);
  const fromNode = await runner().runNodeGates(run([gate({ type: 'tcp', host: a, port: 8444, from: 'node2' })], { once: true }));
  t.regex(fromNode.healthy ? '' : fromNode.output, /^no connection from node2 \(exit 1\): .*Connection refused/);
});

test.serial('HTTPS with a pinned CA: the server\'s CA passes, with a body match; another CA, a wrong status or body fails', async (t) => {
  const url = `https://${addressOf('node1')}:${HTTPS_PORT}/`;
  const pinned = { type: 'http' as const, url, status: 200, caCertificate: pems['ca.pem']! };
  t.deepEqual(await runner().runNodeGates(run([gate({ ...pinned, body: 'Ciphers supported' })])), { healthy: true, passed: ['http-gate'] });
  const otherCa = await runner().runNodeGates(run([gate({ ...pinned, caCertificate: pems['other.pem']! })], { once: true }));
  t.regex(otherCa.healthy ? '' : otherCa.output, /unable to verify the first certificate|self[- ]signed|unable to get local issuer/i);
  // Without a pin the system's trust store decides, and it does not know this CA.
  const unpinned = await runner().runNodeGates(run([gate({ type: 'http', url, status: 200 })], { once: true }));
  t.false(unpinned.healthy);
  const status = await runner().runNodeGates(run([gate({ ...pinned, status: 204 })], { once: true }));
  t.regex(status.healthy ? '' : status.output, /^HTTP 200, expected 204: /);
  const body = await runner().runNodeGates(run([gate({ ...pinned, body: 'no such text' })], { once: true }));
  t.regex(body.healthy ? '' : body.output, /^HTTP 200, but the body does not contain "no such text"/);
});

test.serial('HTTPS from a node: curl there, the pinned CA on its stdin', async (t) => {
  const url = `https://${addressOf('node1')}:${HTTPS_PORT}/`;
  const pinned = { type: 'http' as const, url, status: 200, body: 'Ciphers supported', from: 'node2' };
  t.deepEqual(await runner().runNodeGates(run([gate({ ...pinned, caCertificate: pems['ca.pem']! })], { once: true })), { healthy: true, passed: ['http-gate'] });
  const other = await runner().runNodeGates(run([gate({ ...pinned, caCertificate: pems['other.pem']! })], { once: true }));
  t.regex(other.healthy ? '' : other.output, /^curl on node2 failed \(exit 60\)/);
});

test.serial('a command on the node: its exit code decides, and its output says why it failed', async (t) => {
  await hosts().run('node1', 'echo ready > /etc/gates-ready');
  t.deepEqual(await runner().runNodeGates(run([gate({ type: 'command', argv: ['grep', '-q', 'ready', '/etc/gates-ready'], exitCode: 0 })])), { healthy: true, passed: ['command-gate'] });
  const missing = await runner().runNodeGates(run([gate({ type: 'command', argv: ['cat', '/etc/gates-missing'], exitCode: 0 })], { once: true }));
  t.like(missing, { healthy: false, output: 'exit 1, expected 0: cat: /etc/gates-missing: No such file or directory' });
});

test.serial('a cluster check runs on a member that can be reached: etcd healthy with 3 members, unhealthy with one stopped', async (t) => {
  const quorum = (member: string) => gate({ type: 'cluster', name: 'quorum', argv: ['etcdctl', '--dial-timeout=2s', '--command-timeout=3s', `--endpoints=http://${addressOf(member)}:2379`, 'endpoint', 'health', '--cluster'], exitCode: 0 });
  const memberGate = (member: string) => quorum(member) as Extract<DesiredGate, { type: 'cluster' }>;
  // A member apply cannot reach is passed over: the check runs on the next one.
  const members = ['node9', 'node2', 'node3'];
  await poll('etcd up on 3 members', 60_000, async () => ((await runner().runNodeGates(run([quorum('node1')], { members, memberGate, once: true }))).healthy ? true : undefined), 500);
  const healthy = await runner().runNodeGates(run([quorum('node1')], { members, memberGate, once: true }));
  t.deepEqual(healthy, { healthy: true, passed: ['quorum'] });

  await hosts().run('node3', 'pkill -x etcd; true');
  const down = await runner().runNodeGates(run([quorum('node1')], { members, memberGate, deadline: new Date(Date.now() + 2000) }));
  t.like(down, { healthy: false, gate: 'quorum', deadlineExceeded: true });
  t.regex(down.healthy ? '' : down.output, /^on node2: exit 1, expected 0: .*http:\/\/198\.\S+:2379 is unhealthy/s);
});
