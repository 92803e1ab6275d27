/**
 * The gate runner with probes that answer as each test says and a clock that moves only when the runner
 * sleeps: retries until healthy or the deadline, the first failing gate, cluster gates on a reachable
 * member, and output redacted and capped before it leaves.
 */
import test from 'ava';
import type { Clock } from '../clock.js';
import type { DesiredGate } from '../model/health-gate.js';
import { SERVICE_UP } from '../model/health-gate.js';
import { GATE_OUTPUT_LIMIT } from '../rollout/gate-output.js';
import { redactorOf } from '../secrets/secret-redactor.js';
import type { ExecResult } from '../transport/transport.js';
import { GateRunner, type GateAttempt, type GateProbes, type NodeGateRun } from './gate-runner.js';

const START = Date.parse('2025-01-01T00:00:00.000Z');

function manualTime(): { clock: Clock; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let now = START;
  const slept: number[] = [];
  return {
    clock: { now: () => new Date(now) },
    slept,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const exit = (code: number, stdout = '', stderr = ''): ExecResult => ({ code, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) });

interface Calls {
  exec: { node: string; argv: readonly string[]; stdin?: string }[];
  tcp: number;
}

function probes(answers: { tcp?: () => GateAttempt; exec?: (node: string, argv: readonly string[]) => ExecResult }): { probes: GateProbes; calls: Calls } {
  const calls: Calls = { exec: [], tcp: 0 };
  return {
    calls,
    probes: {
      tcp: async () => {
        calls.tcp++;
        return answers.tcp?.() ?? { healthy: true, output: 'connected' };
      },
      http: async () => ({ healthy: true, output: 'HTTP 200' }),
      exec: async (node, argv, options) => {
        calls.exec.push({ node, argv, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
        return answers.exec?.(node, argv) ?? exit(0);
      },
    },
  };
}

const gate = (g: Partial<DesiredGate> & Pick<DesiredGate, 'type'>): DesiredGate => ({ name: g.type, timeoutSeconds: 5, origin: 'test', ...g }) as DesiredGate;

function runOf(gates: DesiredGate[], extra: Partial<NodeGateRun> = {}): NodeGateRun {
  return { node: 'n1', gates, deadline: new Date(START + 10_000), serviceUp: async () => ({ healthy: true, output: '' }), members: ['n2', 'n3'], ...extra };
}

test('a gate that fails is retried until it passes, sleeping on the injected timers', async (t) => {
  const time = manualTime();
  let tries = 0;
  const { probes: p, calls } = probes({ tcp: () => ({ healthy: ++tries >= 3, output: 'refused' }) });
  const runner = new GateRunner({ probes: p, clock: time.clock, timers: time, redact: (s) => s, retryIntervalMs: 2000 });
  const verdict = await runner.runNodeGates(runOf([gate({ type: 'tcp', host: '198.18.0.11', port: 2379 })]));
  t.deepEqual(verdict, { healthy: true, passed: ['tcp'] });
  t.is(calls.tcp, 3);
  t.deepEqual(time.slept, [2000, 2000]);
});

test('a gate that never passes fails at the deadline with its last output and how many attempts it had', async (t) => {
  const time = manualTime();
  const { probes: p } = probes({ exec: () => exit(1, '', 'member unhealthy') });
  const runner = new GateRunner({ probes: p, clock: time.clock, timers: time, redact: (s) => s, retryIntervalMs: 3000 });
  const verdict = await runner.runNodeGates(runOf([gate({ type: 'command', name: 'probe', argv: ['check'], exitCode: 0 })]));
  t.deepEqual(verdict, { healthy: false, gate: 'probe', output: 'exit 1, expected 0: member unhealthy', attempts: 5, deadlineExceeded: true });
  // 3 + 3 + 3 + 1: the last sleep ends exactly at the deadline, never past it.
  t.deepEqual(time.slept, [3000, 3000, 3000, 1000]);
});

test('the gates run in order and the first that fails stops the rest', async (t) => {
  const time = manualTime();
  const { probes: p, calls } = probes({ exec: (_n, argv) => exit(argv[0] === 'second' ? 3 : 0) });
  const runner = new GateRunner({ probes: p, clock: time.clock, timers: time, redact: (s) => s });
  const gates = [SERVICE_UP, gate({ type: 'command', name: 'first', argv: ['first'], exitCode: 0 }), gate({ type: 'command', name: 'second', argv: ['second'], exitCode: 0 }), gate({ type: 'command', name: 'third', argv: ['third'], exitCode: 0 })];
  const verdict = await runner.runNodeGates(runOf(gates, { once: true }));
  t.like(verdict, { healthy: false, gate: 'second', attempts: 1, deadlineExceeded: false });
  t.deepEqual(calls.exec.map((c) => c.argv[0]), ['first', 'second']);
});

test('service-up is asked of the callback the batch gives (the kinds of what it restarted)', async (t) => {
  const time = manualTime();
  const runner = new GateRunner({ probes: probes({}).probes, clock: time.clock, timers: time, redact: (s) => s });
  const verdict = await runner.runNodeGates(runOf([SERVICE_UP], { once: true, serviceUp: async () => ({ healthy: false, output: 'service:etcd: down 3s' }) }));
  t.like(verdict, { healthy: false, gate: 'service-up', output: 'service:etcd: down 3s' });
});

test('an exit code other than 0 can be the healthy one', async (t) => {
  const time = manualTime();
  const runner = new GateRunner({ probes: probes({ exec: () => exit(3) }).probes, clock: time.clock, timers: time, redact: (s) => s });
  t.deepEqual(await runner.runNodeGates(runOf([gate({ type: 'command', argv: ['x'], exitCode: 3 })], { once: true })), { healthy: true, passed: ['command'] });
});

test('a cluster gate runs on the first member that can be reached, in its own rendering', async (t) => {
  const time = manualTime();
  const { probes: p, calls } = probes({
    exec: (node) => {
      if (node === 'n2') throw new Error('connect ECONNREFUSED');
      return exit(1, '', 'cluster is unhealthy');
    },
  });
  const runner = new GateRunner({ probes: p, clock: time.clock, timers: time, redact: (s) => s });
  const quorum = gate({ type: 'cluster', name: 'quorum', argv: ['etcdctl', '--endpoints', 'n1:2379', 'endpoint', 'health', '--cluster'], exitCode: 0 });
  const verdict = await runner.runNodeGates(
    runOf([quorum], { once: true, memberGate: (member, g) => ({ ...g, argv: ['etcdctl', '--endpoints', `${member}:2379`, 'endpoint', 'health', '--cluster'] }) }),
  );
  t.like(verdict, { healthy: false, gate: 'quorum', output: 'on n3: exit 1, expected 0: cluster is unhealthy' });
  t.deepEqual(calls.exec.map((c) => [c.node, c.argv[2]]), [['n2', 'n2:2379'], ['n3', 'n3:2379']]);
});

test('a cluster gate with no member to run on fails saying so', async (t) => {
  const time = manualTime();
  const runner = new GateRunner({ probes: probes({}).probes, clock: time.clock, timers: time, redact: (s) => s });
  const verdict = await runner.runNodeGates(runOf([gate({ type: 'cluster', name: 'quorum', argv: ['etcdctl'], exitCode: 0 })], { once: true, members: [] }));
  t.like(verdict, { healthy: false, output: 'no healthy member to run it on' });
});

test('TCP and HTTPS from a node run fixed scripts with the values as arguments, the pinned CA on stdin', async (t) => {
  const time = manualTime();
  const { probes: p, calls } = probes({ exec: (_n, argv) => (argv[0] === 'curl' ? exit(0, '{"health":"true"}\n200') : exit(0)) });
  const runner = new GateRunner({ probes: p, clock: time.clock, timers: time, redact: (s) => s });
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const gates = [
    gate({ type: 'tcp', host: '198.18.0.11', port: 2379, from: 'lb1' }),
    gate({ type: 'http', url: 'https://198.18.0.11:2379/health', status: 200, body: '"health":"true"', caCertificate: pem, from: 'lb1' }),
  ];
  t.deepEqual(await runner.runNodeGates(runOf(gates, { once: true })), { healthy: true, passed: ['tcp', 'http'] });
  t.deepEqual(calls.exec[0], { node: 'lb1', argv: ['timeout', '5', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'underlay', '198.18.0.11', '2379'] });
  t.deepEqual(calls.exec[1], { node: 'lb1', argv: ['curl', '-sS', '--max-time', '5', '-w', '\n%{http_code}', '--cacert', '/dev/stdin', '--', 'https://198.18.0.11:2379/health'], stdin: pem });
});

test('an HTTP answer from a node with the wrong body fails with the body', async (t) => {
  const time = manualTime();
  const runner = new GateRunner({ probes: probes({ exec: () => exit(0, '{"health":"false"}\n200') }).probes, clock: time.clock, timers: time, redact: (s) => s });
  const verdict = await runner.runNodeGates(runOf([gate({ type: 'http', name: 'h', url: 'http://x/health', status: 200, body: '"health":"true"', from: 'lb1' })], { once: true }));
  t.like(verdict, { healthy: false, output: 'HTTP 200, but the body does not contain "\\"health\\":\\"true\\"": {"health":"false"}' });
});

test('what a failing gate printed is redacted of every secret value, then capped at 4 KiB', async (t) => {
  const time = manualTime();
  const secret = 'tsig-key-value-0123456789';
  const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIGsecretsecretsecretsecretsecret\n-----END PRIVATE KEY-----\n';
  const printed = `token=${secret}\n${pem.split('\n')[1]}\n${Buffer.from(secret).toString('base64')}\n${'x'.repeat(10_000)}`;
  const redact = redactorOf([
    { name: 'tsig', value: Buffer.from(`${secret}\n`) },
    { name: 'ca-key', value: Buffer.from(pem) },
  ]);
  const runner = new GateRunner({ probes: probes({ exec: () => exit(1, printed) }).probes, clock: time.clock, timers: time, redact });
  const verdict = await runner.runNodeGates(runOf([gate({ type: 'command', name: 'leaky', argv: ['x'], exitCode: 0 })], { once: true }));
  if (verdict.healthy) return t.fail('the gate should fail');
  t.false(verdict.output.includes(secret));
  t.false(verdict.output.includes('MC4CAQAwBQYDK2VwBCIEIGsecret'));
  t.false(verdict.output.includes(Buffer.from(secret).toString('base64').replace(/=+$/, '')));
  t.true(verdict.output.startsWith('exit 1, expected 0: token=[redacted secret tsig]\n[redacted secret ca-key]\n[redacted secret tsig]\nxxx'));
  t.true(Buffer.byteLength(verdict.output) <= GATE_OUTPUT_LIMIT + 40);
  t.regex(verdict.output, /… \(\d+ more bytes\)$/);
});

test('a probe that throws is an unhealthy attempt, retried like any other', async (t) => {
  const time = manualTime();
  let tries = 0;
  const { probes: p } = probes({
    exec: () => {
      if (++tries === 1) throw new Error('ssh: connection reset');
      return exit(0);
    },
  });
  const runner = new GateRunner({ probes: p, clock: time.clock, timers: time, redact: (s) => s });
  t.deepEqual(await runner.runNodeGates(runOf([gate({ type: 'command', argv: ['x'], exitCode: 0 })])), { healthy: true, passed: ['command'] });
  t.is(tries, 2);
});
