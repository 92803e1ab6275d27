/**
 * What apply did with one change, for the change set and journal. `apply` may resolve to this (it is still
 * a NodeReconciler's Promise<void> to callers that do not care).
 */
export interface ApplyOutcome {
  result: 'applied' | 'skipped';
  /** Why a change was skipped, or something the operator should know (e.g. a directory left in place). */
  message?: string;
}

export const APPLIED: ApplyOutcome = { result: 'applied' };

/** Reads a field of a change's `after`/`before` with its type checked: a plan is input and may be hand-made. */
export function stringField(record: Record<string, unknown> | null, name: string, change: string): string {
  const value = record?.[name];
  if (typeof value !== 'string') throw new TypeError(`change ${change}: field ${name} is missing or not a string`);
  return value;
}

/** The identity part of a resource key: 'file:/etc/x' -> '/etc/x'. */
export function keyIdentity(key: string): string {
  const colon = key.indexOf(':');
  if (colon < 0) throw new TypeError(`not a resource key: ${key}`);
  return key.slice(colon + 1);
}
