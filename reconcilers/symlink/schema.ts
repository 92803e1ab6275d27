/** A symbolic link: its entry in a module, its desired spec, and what the probe observes. */
import { z } from 'zod';
import { Account, NodePath } from '../../controller/spec/primitives.js';

/**
 * What the link points at, written as given (absolute or relative to the link's directory) and never
 * followed by underlay. It travels as an argument and the probe's answer is a line-oriented record, so
 * it holds no tab, line break or NUL.
 */
export const LinkTarget = z
  .string()
  .min(1, 'must not be empty')
  .refine((t) => !/[\t\n\r\0]/.test(t), 'must not contain tabs, line breaks or NUL');

export const SymlinkResource = z.strictObject({
  path: NodePath,
  target: LinkTarget,
  owner: Account.default('root'),
  group: Account.default('root'),
});
export type SymlinkDoc = z.infer<typeof SymlinkResource>;

export interface DesiredSymlink {
  kind: 'symlink';
  path: string;
  target: string;
  owner: string;
  group: string;
}

/** `target` is present exactly when a symbolic link is at the path; anything else there exists without one. */
export const ObservedSymlink = z.strictObject({
  kind: z.literal('symlink'),
  path: z.string(),
  exists: z.boolean(),
  target: z.string().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
});
export type ObservedSymlink = z.infer<typeof ObservedSymlink>;
