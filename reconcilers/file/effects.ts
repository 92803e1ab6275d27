import type { ObservedFile } from '../../controller/inventory/inventory.js';
import type { DesiredFile } from '../../controller/model/desired.js';
import type { NodeReconciler } from '../kind-effects.js';
import { applyFile } from './apply.js';
import { diffFile } from './diff.js';

export const fileReconciler: NodeReconciler<DesiredFile, ObservedFile> = {
  kind: 'file',
  diff: diffFile,
  // The outcome (applied, or skipped with a message) is for callers that import applyFile directly.
  apply: async (ctx, change) => {
    await applyFile(ctx, change);
  },
};
