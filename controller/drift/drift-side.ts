/**
 * A change's before and after as a drift record shows them: digests, never content. A resource that names
 * a secret it delivers (`after.secret`) shows of its content only whether it is the store's.
 */
import type { Change } from '../model/change.js';
import { canonicalSha256 } from '../model/canonical-json.js';
import type { DriftSide } from './drift-report.js';

const deliversSecret = (change: Change): boolean => typeof change.after?.secret === 'string' || typeof change.before?.secret === 'string';

function secretContentOf(value: unknown): DriftSide['secretContent'] {
  if (value === 'current') return 'unchanged';
  if (value === 'differs') return 'changed';
  return 'unknown';
}

function sideOf(attributes: Record<string, unknown> | null, secret: boolean, observed: boolean): DriftSide | null {
  if (attributes === null) return null;
  const { content, contentBase64, ...rest } = attributes;
  const digest = `sha256:${canonicalSha256(secret ? rest : { ...rest, content, contentBase64 })}`;
  const side: DriftSide = { digest };
  if (!secret && typeof attributes.sha256 === 'string') side.contentSha256 = attributes.sha256;
  if (secret && observed) side.secretContent = secretContentOf(content);
  return side;
}

export function driftSides(change: Change): { before: DriftSide | null; after: DriftSide | null } {
  const secret = deliversSecret(change);
  return { before: sideOf(change.before, secret, true), after: sideOf(change.after, secret, false) };
}
