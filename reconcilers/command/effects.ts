import type { ObservedCommand } from '../../controller/inventory/inventory.js';
import type { DesiredCommand } from '../../controller/model/desired.js';
import type { NodeReconciler } from '../kind-effects.js';
import { applyCommand } from './apply.js';
import { diffCommand } from './diff.js';

export const commandReconciler: NodeReconciler<DesiredCommand, ObservedCommand> = {
  kind: 'command',
  diff: diffCommand,
  // The outcome (applied, or skipped with a message) is for callers that import applyCommand directly.
  apply: async (ctx, change) => {
    await applyCommand(ctx, change);
  },
};
