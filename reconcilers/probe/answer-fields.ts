/**
 * Reading the fields of one probe answer, for the kinds' parsers. Any field missing or malformed is an
 * error rather than a guess: a wrong observation becomes a wrong plan.
 */
import { UnderlayError } from '../../controller/model/errors.js';
import type { ProbeRequest } from '../kind.js';

/** The node answered the probe with something it cannot have meant: the node fails rather than being misread. */
export class ProbeOutputError extends UnderlayError {
  constructor(message: string) {
    super({ code: 'ProbeOutputInvalid', message: `probe output: ${message}`, data: {} });
  }
}

export const SHA256 = /^[0-9a-f]{64}$/;

/** A field, or undefined when the probe could not read it (`-`) or left it empty. */
export function field(answer: readonly string[], i: number): string | undefined {
  const v = answer[i];
  return v === undefined || v === '-' || v === '' ? undefined : v;
}

export function flag(request: ProbeRequest, value: string | undefined): boolean {
  if (value === '1') return true;
  if (value === '0') return false;
  throw new ProbeOutputError(`${request.key}: expected 0 or 1, got ${JSON.stringify(value)}`);
}

/** `mode:owner:group:size`, or `-` when stat failed: account names cannot hold a colon (passwd(5) is colon-separated). */
export function statFields(text: string | undefined): (string | undefined)[] {
  const parts = (text ?? '').split(':');
  if (parts.length !== 4) return [];
  return parts.map((v) => (v === '' ? undefined : v));
}

/** Mode (4 octal digits), owner and group, each only when read. */
export function ownership(mode: string | undefined, owner: string | undefined, group: string | undefined) {
  return {
    ...(mode !== undefined && /^[0-7]{1,4}$/.test(mode) ? { mode: mode.padStart(4, '0') } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(group !== undefined ? { group } : {}),
  };
}
