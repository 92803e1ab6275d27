/**
 * Resource kind -> the reconciler that diffs and applies it on nodes. Certificates are diffed by the
 * planner but have no apply yet (issuing needs the CA signing flow), so they are absent here.
 */
import type { NodeResourceKind } from '../controller/model/desired.js';
import { commandReconciler } from './command/effects.js';
import { directoryReconciler } from './directory/effects.js';
import { fileReconciler } from './file/effects.js';
import type { NodeReconciler } from './kind-effects.js';
import { serviceReconciler } from './service/effects.js';

const reconcilers: Partial<Record<NodeResourceKind, NodeReconciler>> = {
  file: fileReconciler as unknown as NodeReconciler,
  directory: directoryReconciler as unknown as NodeReconciler,
  service: serviceReconciler as unknown as NodeReconciler,
  command: commandReconciler as unknown as NodeReconciler,
};

export function reconcilerFor(kind: string): NodeReconciler {
  const reconciler = reconcilers[kind as NodeResourceKind];
  if (!reconciler) throw new Error(`no node reconciler applies resources of kind ${JSON.stringify(kind)}`);
  return reconciler;
}

export const reconcilerKinds = (): NodeResourceKind[] => Object.keys(reconcilers).sort() as NodeResourceKind[];
