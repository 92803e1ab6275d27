/**
 * A file: its entry in a module, the desired spec resolve renders from it, and what the probe observes.
 */
import { z } from 'zod';
import { Account, Base64, FileMode, NodePath, Sha256Hex, Template } from '../../controller/spec/primitives.js';

export const FileResource = z.strictObject({
  path: NodePath,
  /**
   * Exactly one of: `content`, an inline template; `template`, naming a template file relative to the module
   * document; `contentBase64`, bytes shipped exactly as given (not a template), for binary files.
   */
  content: Template.optional(),
  template: z.string().optional(),
  contentBase64: Base64.optional(),
  mode: FileMode.default('0644'),
  owner: Account.default('root'),
  group: Account.default('root'),
  /**
   * Replacing this file disturbs what runs (a new binary): its updates go through the cluster's rollout
   * batches and gates like a restart (issue 11).
   */
  disruptive: z.boolean().optional(),
});
export type FileDoc = z.infer<typeof FileResource>;

interface DesiredFileAttributes {
  kind: 'file';
  path: string;
  /** sha256 hex of the bytes written (the UTF-8 content, or the decoded contentBase64): what observe compares. */
  sha256: string;
  mode: string; // normalised to 4 digits, e.g. '0644'
  owner: string;
  group: string;
  /** Present only when the module marks the file disruptive (FileResource.disruptive). */
  disruptive?: true;
}

/** A file rendered from a template: text. */
export interface DesiredTextFile extends DesiredFileAttributes {
  content: string;
}

/** A file given as `contentBase64`: bytes (canonical base64 here), never rendered, shown in plans by size and sha256. */
export interface DesiredBinaryFile extends DesiredFileAttributes {
  contentBase64: string;
}

export type DesiredFile = DesiredTextFile | DesiredBinaryFile;

/** Bytes on the node, whichever way the content was given. */
export const fileSize = (f: DesiredFile): number => ('content' in f ? Buffer.byteLength(f.content, 'utf8') : Buffer.byteLength(f.contentBase64, 'base64'));

export const ObservedFile = z.strictObject({
  kind: z.literal('file'),
  path: z.string(),
  exists: z.boolean(),
  sha256: Sha256Hex.optional(),
  size: z.number().int().optional(),
  mode: z.string().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  /** The file's text, when the probe chose to read it (small text files): lets a plan show a real diff. */
  content: z.string().optional(),
});
export type ObservedFile = z.infer<typeof ObservedFile>;
