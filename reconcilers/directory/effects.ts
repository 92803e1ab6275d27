import type { ObservedDirectory } from '../../controller/inventory/inventory.js';
import type { DesiredDirectory } from '../../controller/model/desired.js';
import type { NodeReconciler } from '../kind-effects.js';
import { applyDirectory } from './apply.js';
import { diffDirectory } from './diff.js';

export const directoryReconciler: NodeReconciler<DesiredDirectory, ObservedDirectory> = {
  kind: 'directory',
  diff: diffDirectory,
  // The outcome (applied, or skipped with a message) is for callers that import applyDirectory directly.
  apply: async (ctx, change) => {
    await applyDirectory(ctx, change);
  },
};
