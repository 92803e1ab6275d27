/**
 * What the CLI prints for an error it did not expect (a bug, not a bad input): one line that says so, and
 * how to get the stack trace, which is printed only on request, so that no input makes the CLI dump its
 * internals at a user. Its code is the error's own when underlay threw it knowingly (UncheckedSpec), else InternalError.
 */
import { toErrorRecord } from '../model/errors.js';

export const DEBUG_ENV = 'UNDERLAY_DEBUG';

export function internalErrorMessage(error: unknown, env: NodeJS.ProcessEnv): string {
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const line = `error: internal error [${toErrorRecord(error).code}]: ${what.replace(/\s*\n\s*/g, ' ')} (a bug in underlay: please report it; set ${DEBUG_ENV}=1 for the stack trace)\n`;
  const stack = env[DEBUG_ENV] === '1' && error instanceof Error ? error.stack : undefined;
  return stack ? `${line}${stack}\n` : line;
}
