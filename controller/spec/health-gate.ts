/**
 * How a module (or the Site or a Cluster rollout) says a node is healthy, and what is done on the nodes
 * around a node's batch. Every text is a template rendered per node like the module's resources; argv are
 * lists, never shell strings, held to the shell-safety rules of commands.
 */
import { z } from 'zod';
import { Duration } from './duration.js';
import { Name, Template } from './primitives.js';
import type { NodeSelector } from './schema.js';

const Port = z.number().int().min(1).max(65535);
const ExitCode = z.number().int().min(0).max(255);

/** Where a TCP or HTTP gate connects from: the controller (default), or the named node. */
const From = Template.describe('a node name: the check runs there (over SSH) instead of from the controller');

export const TcpGate = z.strictObject({
  /** Default: the node's address. */
  host: Template.optional(),
  /** A port, or a template that renders to one. */
  port: z.union([Port, Template]),
  from: From.optional(),
});

export const HttpGate = z.strictObject({
  /** `http://` or `https://`. */
  url: Template,
  /** The status the answer must have. */
  status: z.number().int().min(100).max(599).default(200),
  /** Text the answer's body must contain. */
  body: Template.optional(),
  /** PEM of the only CA an HTTPS answer may be signed by (pinning); default: the system's trust store. */
  caCertificate: Template.optional(),
  from: From.optional(),
});

export const CommandGate = z.strictObject({
  argv: z.array(Template).min(1),
  /** The exit code that means healthy. */
  exitCode: ExitCode.default(0),
});

export const GATE_TYPES = ['tcp', 'http', 'command', 'cluster'] as const;

/**
 * One health gate: a name and exactly one check. `command` runs on the node; `cluster` is a cluster-level
 * check (etcd quorum) run once per batch on a member that is healthy.
 */
export const HealthGate = z
  .strictObject({
    name: Name,
    tcp: TcpGate.optional(),
    http: HttpGate.optional(),
    command: CommandGate.optional(),
    cluster: CommandGate.optional(),
    /** How long one attempt may take; the gate is retried until it passes or the batch's progress deadline. */
    timeout: Duration.default('10s'),
  })
  .superRefine((gate, ctx) => {
    const set = GATE_TYPES.filter((t) => gate[t] !== undefined);
    if (set.length !== 1) ctx.addIssue({ code: 'custom', path: [], message: `a gate has exactly one of ${GATE_TYPES.join(', ')} (this one has ${set.length === 0 ? 'none' : set.join(' and ')})` });
    if (gate.name === 'service-up') ctx.addIssue({ code: 'custom', path: ['name'], message: 'service-up is the built-in gate (the restarted services are up); name this gate otherwise' });
  });
export type HealthGate = z.infer<typeof HealthGate>;

/**
 * A drain or undrain step: argv run on the node, or where `on` says: a node's name (a template), or a node
 * selector (every matching node of the site, by name: each load balancer). Made from the format's one
 * NodeSelector (schema.ts passes it in, as it passes resource references to the kinds).
 */
export const drainStep = (nodeSelector: z.ZodType<NodeSelector>) =>
  z.strictObject({
    argv: z.array(Template).min(1),
    on: z.union([Template.describe('a node name: the step runs there instead of on the node being drained'), nodeSelector]).optional(),
  });
export interface DrainStep {
  argv: string[];
  on?: string | NodeSelector;
}
