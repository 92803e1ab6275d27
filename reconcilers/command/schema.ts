/** A guarded command: its entry in a module, its desired spec, and what the probe observes of its guards and runs. */
import { z } from 'zod';
import { Name, NodePath, Template } from '../../controller/spec/primitives.js';

export const commandResource = (resourceRef: z.ZodType<string>) =>
  z.strictObject({
    name: Name,
    argv: z.array(Template).min(1),
    /** Skip when this path exists on the node. */
    creates: NodePath.optional(),
    /** Skip when this argv exits 0 on the node. */
    unless: z.array(Template).min(1).optional(),
    /** Run again whenever one of these resources changes. */
    onChangeOf: z.array(resourceRef).default([]),
    /**
     * Undoes what argv did, run by an automatic rollback (ADR 0026) on a node that failed its gates after
     * this command ran; held to argv's rules. Without it the command is not rolled back.
     */
    rollback: z.array(Template).min(1).optional(),
    /** Running it disturbs what runs (a migration, a package upgrade): its runs go through the rollout batches and gates (issue 11). */
    disruptive: z.boolean().optional(),
  });
export type CommandDoc = z.infer<ReturnType<typeof commandResource>>;

export interface DesiredCommand {
  kind: 'command';
  name: string;
  argv: string[];
  creates?: string;
  unless?: string[];
  /** Resource keys on the same node whose change runs this command again. */
  onChangeOf: string[];
  /** What an automatic rollback runs to undo it (ADR 0026). */
  rollback?: string[];
  /** Present only when the module marks the command disruptive. */
  disruptive?: true;
}

export const ObservedCommand = z.strictObject({
  kind: z.literal('command'),
  name: z.string(),
  /** Whether the `creates` path exists. */
  createsExists: z.boolean().optional(),
  /** Exit code of the `unless` guard. */
  unlessExitCode: z.number().int().optional(),
  /**
   * A run of the command that underlay started and no apply has recorded yet (its marker on the node, ADR
   * 0005): still running, finished, or lost (the node rebooted under it, or it died without an exit status).
   */
  run: z
    .strictObject({
      exitCode: z.number().int().optional(),
      /** resourceHash of the definition the run executes. */
      hash: z.string().optional(),
      lost: z.enum(['rebooted', 'died', 'unreadable']).optional(),
      runId: z.string().optional(),
      startedAt: z.string().optional(),
      state: z.enum(['running', 'finished', 'lost']),
    })
    .optional(),
});
export type ObservedCommand = z.infer<typeof ObservedCommand>;
