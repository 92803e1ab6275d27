/**
 * Load is the only validator: resolve takes a Spec that load accepted and checks nothing load checks. A Spec
 * breaking one of load's rules reaches resolve only from a caller that skipped load; that is the caller's
 * fault, thrown (an internal error: model/errors.ts), never reported to the user as a diagnostic of the repository.
 */
import { UnderlayError } from '../model/errors.js';

export class UncheckedSpec extends UnderlayError<{ what: string }> {
  constructor(what: string) {
    super({ code: 'UncheckedSpec', message: `${what}: resolve takes a Spec that load accepted`, data: { what } });
  }
}
