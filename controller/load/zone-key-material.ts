/**
 * A DNSZone names its TSIG key (`tsigKeySecret`, a name in the controller's secret store) and never holds
 * it: a key committed to Git is a key anyone with the repository can sign zone updates with. Fields that
 * carry key material (`tsigKey`, `secret`, `key: {algorithm, secret}`, a `hmac-sha256:name:base64` triple
 * as `dig -y` takes it) are refused by name before the schema would call them merely unknown. Pure.
 */
import { diagnostic, fieldPath, type Diagnostic } from '../spec/diagnostic.js';
import type { FieldPath, YamlDocument } from './yaml-documents.js';

const KEY_FIELD = /^(tsig)?(key|secret)$|^tsig(key|secret)(data|material|value)?$/i;
const INLINE_KEY = /^hmac-[a-z0-9]+:[^:]+:[A-Za-z0-9+/]{16,}={0,2}$|\bsecret\s+"[A-Za-z0-9+/]{16,}={0,2}"/i;

function findKeyMaterial(value: unknown, path: FieldPath): FieldPath | undefined {
  if (typeof value === 'string') return INLINE_KEY.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (KEY_FIELD.test(key) && inner !== undefined && inner !== null && inner !== '') return [...path, key];
    const found = findKeyMaterial(inner, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

export function inlineTsigKey(source: YamlDocument): Diagnostic | undefined {
  const spec = (source.value as { spec?: unknown }).spec;
  const field = findKeyMaterial(spec, ['spec']);
  if (!field) return undefined;
  return diagnostic(
    'TsigKeyInline',
    `the DNSZone holds TSIG key material at ${fieldPath(field)}: a TSIG key lives in the controller's secret store and the DNSZone names it with spec.tsigKeySecret; remove it from Git and rotate the key`,
    { location: (source.locateKey ?? source.locate)(field), field: fieldPath(field) },
  );
}
