/**
 * Applies a file change: the content from the plan (text, or the exact bytes of `contentBase64`) is written
 * atomically with its mode and owner; a delete removes the file. Nothing but the plan is needed.
 */
import type { Change } from '../../controller/model/change.js';
import { APPLIED, type NodeApplyContext, type ApplyOutcome } from '../kind-effects.js';
import { stringField } from '../change-fields.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import { removeFile, writeFileAtomic } from '../file-write.js';

export async function applyFile(ctx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  if (change.action === 'delete') {
    await removeFile(ctx, keyIdentity(change.key));
  } else {
    const after = change.after;
    await writeFileAtomic(ctx, {
      path: stringField(after, 'path', change.id),
      content: contentOf(after, change.id),
      mode: stringField(after, 'mode', change.id),
      owner: stringField(after, 'owner', change.id),
      group: stringField(after, 'group', change.id),
    });
  }
  return APPLIED;
}

/** Text, or the exact bytes of a binary file's `contentBase64`. */
function contentOf(after: Record<string, unknown> | null, id: string): string | Uint8Array {
  if (typeof after?.contentBase64 === 'string') return Buffer.from(after.contentBase64, 'base64');
  return stringField(after, 'content', id);
}
