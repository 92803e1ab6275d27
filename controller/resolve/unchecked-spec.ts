/**
 * Load is the only validator: resolve takes a Spec that load accepted and checks nothing load checks. A Spec
 * breaking one of load's rules reaches resolve only from a caller that skipped load; that is the caller's
 * fault, thrown, never reported to the user as a diagnostic of the repository.
 */
export class UncheckedSpec extends Error {
  readonly code = 'UncheckedSpec';

  constructor(what: string) {
    super(`${what}: resolve takes a Spec that load accepted`);
  }
}
