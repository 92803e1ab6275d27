/**
 * Which drift mode governs a change: its resource's entry in its cluster's `drift.resources`, else the
 * cluster's `drift.mode`. A change of no cluster (a resource Git no longer names, a service target) is
 * reported (`alert`): nothing in Git says otherwise.
 */
import type { Change } from '../model/change.js';
import type { DriftMode } from '../spec/schema.js';
import type { Spec } from '../spec/spec.js';

export type DriftModeOf = (change: Pick<Change, 'cluster' | 'key'>) => DriftMode;

export function driftModes(spec: Pick<Spec, 'clusters'>): DriftModeOf {
  return (change) => {
    const cluster = change.cluster === undefined ? undefined : spec.clusters[change.cluster]?.doc.spec.drift;
    if (!cluster) return 'alert';
    return cluster.resources[change.key] ?? cluster.mode;
  };
}
