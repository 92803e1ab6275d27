/**
 * Runs a node's health gates (controller/model/health-gate.ts): each in order, retried until it passes or
 * the batch's progress deadline, on the clock and timers passed in (tests drive them; nothing sleeps for
 * real). What a gate printed is redacted of every secret value, then capped at 4 KiB, before it leaves here:
 * it goes into events, status and alerts.
 */
import type { Clock, Timers } from '../clock.js';
import type { DesiredGate } from '../model/health-gate.js';
import { describeError } from '../model/errors.js';
import { capGateOutput } from '../rollout/gate-output.js';
import type { Redact } from '../secrets/secret-redactor.js';
import type { ExecResult } from '../transport/transport.js';

/** One attempt of one gate. */
export interface GateAttempt {
  healthy: boolean;
  output: string;
}

/** Where gates reach: TCP and HTTP from the controller, argv on a node (over the transport). */
export interface GateProbes {
  tcp(target: { host: string; port: number }, timeoutMs: number): Promise<GateAttempt>;
  http(request: HttpCheck, timeoutMs: number): Promise<GateAttempt>;
  /** Throws when the node cannot be reached; its exit code otherwise. */
  exec(node: string, argv: readonly string[], options: { timeoutMs: number; stdin?: string }): Promise<ExecResult>;
}

export type HttpCheck = Pick<Extract<DesiredGate, { type: 'http' }>, 'url' | 'status' | 'body' | 'caCertificate'>;

export type GateVerdict =
  /** `passed`: the gates that ran and passed, in order (what apply's output names). */
  | { healthy: true; passed: string[] }
  /** The first gate that did not pass: its last attempt's output (redacted, capped), and whether the deadline cut it short. */
  | { healthy: false; gate: string; output: string; attempts: number; deadlineExceeded: boolean };

export interface GateRunnerOptions {
  probes: GateProbes;
  clock: Clock;
  timers: Pick<Timers, 'sleep'>;
  redact: Redact;
  /** Between attempts of a gate that did not pass; default 1 s. */
  retryIntervalMs?: number;
}

export interface NodeGateRun {
  node: string;
  gates: readonly DesiredGate[];
  /** No new attempt starts after this. */
  deadline: Date;
  /** service-up: asked of the kinds of what the batch restarted (health-check.ts). */
  serviceUp: () => Promise<GateAttempt>;
  /** Members a cluster gate may run on, the likeliest healthy first; the first that can be reached runs it. */
  members: readonly string[];
  /** A member's own rendering of a cluster gate (its own endpoint, say); default: the batch node's. */
  memberGate?: (member: string, gate: Extract<DesiredGate, { type: 'cluster' }>) => Extract<DesiredGate, { type: 'cluster' }>;
  /** One attempt per gate, no retries: the check before a batch (is the node up now?). */
  once?: boolean;
}

const DEFAULT_RETRY_INTERVAL_MS = 1000;

const execOutput = (r: ExecResult): string => `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`.trimEnd() || (r.message ?? '');

/** A gate's status and body check, the same from the controller and from a node. */
export function httpVerdict(check: HttpCheck, status: number, body: string): GateAttempt {
  if (status !== check.status) return { healthy: false, output: `HTTP ${status}, expected ${check.status}: ${body}` };
  if (check.body !== undefined && !body.includes(check.body)) return { healthy: false, output: `HTTP ${status}, but the body does not contain ${JSON.stringify(check.body)}: ${body}` };
  return { healthy: true, output: `HTTP ${status}` };
}

/** The status line curl's `-w` appends after the body. */
const CURL_STATUS = '\n%{http_code}';

/** argv and stdin that check TCP or HTTP from a node; values are positional, the scripts literal. */
function fromNode(gate: Extract<DesiredGate, { type: 'tcp' | 'http' }>, timeoutSeconds: number): { argv: string[]; stdin?: string } {
  if (gate.type === 'tcp') return { argv: ['timeout', String(timeoutSeconds), 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'underlay', gate.host, String(gate.port)] };
  const pin = gate.caCertificate === undefined ? [] : ['--cacert', '/dev/stdin'];
  return { argv: ['curl', '-sS', '--max-time', String(timeoutSeconds), '-w', CURL_STATUS, ...pin, '--', gate.url], ...(gate.caCertificate !== undefined ? { stdin: gate.caCertificate } : {}) };
}

export class GateRunner {
  constructor(private readonly options: GateRunnerOptions) {}

  /** The node's gates in order; the first that does not pass (later ones are not run). */
  async runNodeGates(run: NodeGateRun): Promise<GateVerdict> {
    const passed: string[] = [];
    for (const gate of run.gates) {
      const verdict = await this.runGate(gate, run);
      if (!verdict.healthy) return verdict;
      passed.push(gate.name);
    }
    return { healthy: true, passed };
  }

  private async runGate(gate: DesiredGate, run: NodeGateRun): Promise<GateVerdict> {
    const { clock, timers, redact } = this.options;
    const interval = this.options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    for (let attempts = 1; ; attempts++) {
      const attempt = await this.attempt(gate, run).catch((e: unknown): GateAttempt => ({ healthy: false, output: describeError(e) }));
      if (attempt.healthy) return { healthy: true, passed: [gate.name] };
      const left = run.deadline.getTime() - clock.now().getTime();
      if (run.once || left <= 0) {
        return { healthy: false, gate: gate.name, output: capGateOutput(redact(attempt.output)), attempts, deadlineExceeded: !run.once };
      }
      await timers.sleep(Math.min(interval, left));
    }
  }

  private async attempt(gate: DesiredGate, run: NodeGateRun): Promise<GateAttempt> {
    const { probes } = this.options;
    const timeoutMs = gate.timeoutSeconds * 1000;
    switch (gate.type) {
      case 'service-up':
        return run.serviceUp();
      case 'tcp':
      case 'http': {
        if (gate.from === undefined) return gate.type === 'tcp' ? probes.tcp(gate, timeoutMs) : probes.http(gate, timeoutMs);
        const { argv, stdin } = fromNode(gate, gate.timeoutSeconds);
        const result = await probes.exec(gate.from, argv, { timeoutMs: timeoutMs + 1000, ...(stdin !== undefined ? { stdin } : {}) });
        if (gate.type === 'tcp') return { healthy: result.code === 0, output: result.code === 0 ? 'connected' : `no connection from ${gate.from} (exit ${result.code}): ${execOutput(result)}` };
        return this.curlVerdict(gate, result);
      }
      case 'command':
        return this.commandAttempt(run.node, gate);
      case 'cluster':
        return this.clusterAttempt(gate, run);
    }
  }

  private curlVerdict(gate: Extract<DesiredGate, { type: 'http' }>, result: ExecResult): GateAttempt {
    if (result.code !== 0) return { healthy: false, output: `curl on ${gate.from} failed (exit ${result.code}): ${execOutput(result)}` };
    const out = result.stdout.toString('utf8');
    const cut = out.lastIndexOf('\n');
    return httpVerdict(gate, Number(out.slice(cut + 1)), out.slice(0, Math.max(cut, 0)));
  }

  private async commandAttempt(node: string, gate: Extract<DesiredGate, { type: 'command' | 'cluster' }>): Promise<GateAttempt> {
    const result = await this.options.probes.exec(node, gate.argv, { timeoutMs: gate.timeoutSeconds * 1000 });
    const output = execOutput(result);
    if (result.code === gate.exitCode) return { healthy: true, output };
    return { healthy: false, output: `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}, expected ${gate.exitCode}${output === '' ? '' : `: ${output}`}` };
  }

  /** On the first member that can be reached: one that cannot is no verdict on the cluster. */
  private async clusterAttempt(gate: Extract<DesiredGate, { type: 'cluster' }>, run: NodeGateRun): Promise<GateAttempt> {
    const { members } = run;
    const unreachable: string[] = [];
    for (const member of members) {
      try {
        const attempt = await this.commandAttempt(member, run.memberGate?.(member, gate) ?? gate);
        return { ...attempt, output: `on ${member}: ${attempt.output}` };
      } catch (e) {
        unreachable.push(`${member}: ${describeError(e)}`);
      }
    }
    return { healthy: false, output: members.length === 0 ? 'no healthy member to run it on' : `no member could run it (${unreachable.join('; ')})` };
  }
}
