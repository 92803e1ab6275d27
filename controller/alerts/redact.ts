/**
 * Secrets never reach a payload: every string in it has each known secret value cut out, whatever put it
 * there (an error message quoting a command line, a detail copied from a node). Values shorter than
 * MIN_SECRET_LENGTH are not searched for: they would redact ordinary words, and are no secrets anyway.
 */
export const REDACTED = '[redacted]';
const MIN_SECRET_LENGTH = 6;

function redactString(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

export function redact<T>(value: T, secrets: readonly string[]): T {
  const usable = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  if (usable.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactString(v, usable);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactString(k, usable), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
