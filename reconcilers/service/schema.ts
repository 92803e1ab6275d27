/** A supervised service: its entry in a module, its desired spec, and what the probe observes. */
import { z } from 'zod';
import { Account, Name, NodePath, Sha256Hex, Template } from '../../controller/spec/primitives.js';

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
}

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
