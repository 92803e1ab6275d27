/**
 * The facts an observation of a node holds (the probe finds them; reconcilers/probe/parse-probe-output.ts is
 * typed against this list). Before any node is observed, as in `validate`, a `{fact}` input naming one of
 * them is not missing but not known yet: it is resolved at plan time.
 */
export const OBSERVED_FACTS = ['addresses', 'arch', 'hostname', 'kernel', 'os', 'serviceManager'] as const;

export type ObservedFact = (typeof OBSERVED_FACTS)[number];

export function isObservedFact(name: string): name is ObservedFact {
  return (OBSERVED_FACTS as readonly string[]).includes(name);
}
