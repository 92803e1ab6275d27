/** A supervised service: its entry in a module, its desired spec, and what the probe observes. */
import { z } from 'zod';
import { Account, Name, NodePath, Sha256Hex, Template } from '../../controller/spec/primitives.js';

/** Signals a service may reload on; TERM, INT and KILL stop a process, so they are no reload. */
export const RELOAD_SIGNALS = ['HUP', 'USR1', 'USR2'] as const;
export type ReloadSignal = (typeof RELOAD_SIGNALS)[number];

const ServiceReload = z.union([
  z.strictObject({ signal: z.enum(RELOAD_SIGNALS) }),
  /** argv: an absolute program path and its arguments, never a shell string. */
  z.strictObject({ command: z.array(Template).min(1) }),
]);

export const serviceResource = (resourceRef: z.ZodType<string>) =>
  z.strictObject({
    name: Name,
    /** Absolute path of the program; arguments are passed as argv, never through a shell. */
    command: NodePath,
    args: z.array(Template).default([]),
    environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid environment variable name'), Template).default({}),
    user: Account.default('root'),
    restart: z.enum(['always', 'on-failure', 'never']).default('always'),
    /** Resources whose change restarts this service (files it reads). */
    restartOnChangeOf: z.array(resourceRef).default([]),
    /** Resources whose change reloads this service instead: files it re-reads on its reload signal. */
    reloadOnChangeOf: z.array(resourceRef).default([]),
    /** How it reloads: a signal to its main process (default HUP), or a command run as its user. */
    reload: ServiceReload.optional(),
    enabled: z.boolean().default(true),
  });
export type ServiceDoc = z.infer<ReturnType<typeof serviceResource>>;

export interface DesiredService {
  kind: 'service';
  name: string;
  command: string;
  args: string[];
  environment: Record<string, string>;
  user: string;
  restart: 'always' | 'on-failure' | 'never';
  enabled: boolean;
  /** Resource keys on the same node whose change restarts this service. */
  restartOnChangeOf: string[];
  /**
   * Resource keys on the same node whose change reloads this service. Absent, like `reload`, when the site
   * declares no reload: a service's spec (and so its recorded hash and definition) stays what it was.
   */
  reloadOnChangeOf?: string[];
  /** Present when declared, or HUP when only `reloadOnChangeOf` is. */
  reload?: DesiredReload;
}

export type DesiredReload = { signal: ReloadSignal } | { command: string[] };

export const ObservedService = z.strictObject({
  kind: z.literal('service'),
  name: z.string(),
  exists: z.boolean(),
  /** sha256 of the rendered definition (runit run script or systemd unit) found on the node. */
  definitionHash: Sha256Hex.optional(),
  running: z.boolean(),
  enabled: z.boolean(),
  pid: z.number().int().optional(),
});
export type ObservedService = z.infer<typeof ObservedService>;
