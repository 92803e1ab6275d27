/**
 * A secret file: a controller secret delivered to a node as a file. Its entry names the secret, never its
 * value; the value is read from the secret store at apply time only, and goes only to nodes the secret's
 * policy (Site.spec.secrets) lists, over a connection that presented the node's pinned host key (ADR 0014).
 */
import { z } from 'zod';
import { Account, FileMode, NodePath, SecretName } from '../../controller/spec/primitives.js';

export const SecretFileResource = z.strictObject({
  path: NodePath,
  /** The secret's name in the controller's secret store (and in Site.spec.secrets). Not a template. */
  secret: SecretName,
  mode: FileMode.default('0600'),
  owner: Account.default('root'),
  group: Account.default('root'),
});
export type SecretFileDoc = z.infer<typeof SecretFileResource>;

export interface DesiredSecretFile {
  kind: 'secretFile';
  path: string;
  secret: string;
  mode: string; // normalised to 4 digits, e.g. '0600'
  owner: string;
  group: string;
}

/**
 * `current`: the node's copy has the keyed digest of the store's value; `differs`: it has not (edited on the
 * node, or the secret rotated in the store: SecretFileStoreSinceWrite tells which); `unknown`: not compared
 * (observed without the secret store, or the store lacks the secret). Never the content, its size or a plain
 * hash of it.
 */
export const SecretFileContent = z.enum(['current', 'differs', 'unknown']);

/**
 * Whether the store's value is still the one underlay last wrote to the file, by the mark that write left on
 * the node (secret-mark.ts): `changed` is a secret rotated in the store; `unchanged` with content `differs`,
 * a copy edited on the node. Never the mark itself.
 */
export const SecretFileStoreSinceWrite = z.enum(['unchanged', 'changed']);

export const ObservedSecretFile = z.strictObject({
  kind: z.literal('secretFile'),
  path: z.string(),
  exists: z.boolean(),
  mode: z.string().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  /** Absent when something other than a regular file is at the path. */
  content: SecretFileContent.optional(),
  /** Absent when the file holds no mark (written by an older underlay, or by hand) or content was not compared. */
  storeSinceWrite: SecretFileStoreSinceWrite.optional(),
});
export type ObservedSecretFile = z.infer<typeof ObservedSecretFile>;
