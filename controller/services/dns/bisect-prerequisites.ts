/**
 * A prerequisite that fails rejects its whole UPDATE message, and the server does not say which one failed.
 * Bisecting finds the change groups whose prerequisites fail: a rejected message is sent again as two
 * halves, down to single groups, so every group whose prerequisites hold is applied and every failing one
 * is reported alone. Groups must be independent (no group's prerequisite rests on another's operations), as
 * the zone target builds them: one group per owned name and type. Pure: sending is passed in.
 */
import type { ChangeGroup } from './update-message.js';

/** The header RCODEs by which a server says a prerequisite did not hold (RFC 2136 §3.2). */
export const PREREQUISITE_RCODES = new Set(['YXDOMAIN', 'YXRRSET', 'NXDOMAIN', 'NXRRSET']);

export type SendOutcome<F> = { ok: true } | { ok: false; rcode: string; failure: F };

export interface BisectResult<F> {
  applied: ChangeGroup[];
  /** Groups whose own prerequisites failed, each with the server's answer to it alone. */
  rejected: { group: ChangeGroup; failure: F }[];
  /** Messages sent, the first try included. */
  messages: number;
}

/**
 * Sends `groups` as one message; on a prerequisite failure, bisects. Any other failure (REFUSED, NOTAUTH,
 * a TSIG error) is no property of one group: it is thrown by `fatal` at once, and nothing more is sent.
 */
export async function sendBisectingOnPrerequisiteFailure<F>(
  groups: readonly ChangeGroup[],
  send: (groups: readonly ChangeGroup[]) => Promise<SendOutcome<F>>,
  fatal: (failure: F) => Error,
): Promise<BisectResult<F>> {
  const result: BisectResult<F> = { applied: [], rejected: [], messages: 0 };
  const visit = async (part: readonly ChangeGroup[]): Promise<void> => {
    if (part.length === 0) return;
    result.messages += 1;
    const outcome = await send(part);
    if (outcome.ok) {
      result.applied.push(...part);
      return;
    }
    if (!PREREQUISITE_RCODES.has(outcome.rcode)) throw fatal(outcome.failure);
    if (part.length === 1) {
      result.rejected.push({ group: part[0]!, failure: outcome.failure });
      return;
    }
    const middle = Math.ceil(part.length / 2);
    await visit(part.slice(0, middle));
    await visit(part.slice(middle));
  };
  await visit(groups);
  return result;
}
