/**
 * Applies a file change: the content from the plan is written atomically with its mode and owner; a
 * delete removes the file. Nothing but the plan is needed.
 */
import type { Change } from '../../controller/plan/plan.js';
import { APPLIED, type ApplyOutcome, keyIdentity, stringField } from '../apply-outcome.js';
import { removeFile, writeFileAtomic } from '../file-write.js';
import type { ApplyContext } from '../reconciler.js';

export async function applyFile(ctx: ApplyContext, change: Change): Promise<ApplyOutcome> {
  if (change.action === 'delete') {
    await removeFile(ctx, keyIdentity(change.key));
  } else {
    const after = change.after;
    await writeFileAtomic(ctx, {
      path: stringField(after, 'path', change.id),
      content: stringField(after, 'content', change.id),
      mode: stringField(after, 'mode', change.id),
      owner: stringField(after, 'owner', change.id),
      group: stringField(after, 'group', change.id),
    });
  }
  return APPLIED;
}
