/** A directory: its entry in a module, its desired spec, and what the probe observes. */
import { z } from 'zod';
import { Account, FileMode, NodePath } from '../../controller/spec/primitives.js';

export const DirectoryResource = z.strictObject({
  path: NodePath,
  mode: FileMode.default('0755'),
  owner: Account.default('root'),
  group: Account.default('root'),
});
export type DirectoryDoc = z.infer<typeof DirectoryResource>;

export interface DesiredDirectory {
  kind: 'directory';
  path: string;
  mode: string;
  owner: string;
  group: string;
}

export const ObservedDirectory = z.strictObject({
  kind: z.literal('directory'),
  path: z.string(),
  exists: z.boolean(),
  mode: z.string().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
});
export type ObservedDirectory = z.infer<typeof ObservedDirectory>;
