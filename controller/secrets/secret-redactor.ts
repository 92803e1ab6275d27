/**
 * Text about to leave the controller (gate output into status, events, alerts) with every secret value the
 * site uses taken out. A failing check can print anything it can read, a key included: what it printed is
 * useful, the secret in it never is.
 */
import type { Spec } from '../spec/spec.js';
import type { SecretSource } from './secret-source.js';

export type Redact = (text: string) => string;

/** Shorter values would match ordinary text and tell nothing by their absence; no real secret is this short. */
const MIN_SECRET_LENGTH = 6;

const base64Forms = (bytes: Buffer): string[] => [bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, '')];

/**
 * The forms a secret can be printed in: its text without the trailing line break (which covers it with one,
 * and leaves the output's own line breaks in place), and base64 of the bytes with and without that break.
 */
function formsOf(value: Buffer): string[] {
  const text = value.toString('utf8');
  const forms = [text.trimEnd(), ...base64Forms(value), ...base64Forms(Buffer.from(text.trimEnd(), 'utf8'))];
  // Each line of a multi-line secret (a PEM key) separately: output may wrap or cut it.
  for (const line of text.split(/\r?\n/)) forms.push(line.trim());
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Replaces every form of every value with `[redacted secret NAME]`; longer forms first, so a part never leaves the rest behind. */
export function redactorOf(secrets: readonly { name: string; value: Buffer }[]): Redact {
  const forms = secrets.flatMap(({ name, value }) => formsOf(value).map((form) => ({ name, form }))).sort((a, b) => b.form.length - a.form.length);
  if (forms.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const { name, form } of forms) if (out.includes(form)) out = out.split(form).join(`[redacted secret ${name}]`);
    return out;
  };
}

/** A redactor for the named secrets as the source holds them now; a name it lacks has nothing to redact. */
export async function secretRedactor(source: SecretSource, names: readonly string[]): Promise<Redact> {
  const secrets: { name: string; value: Buffer }[] = [];
  for (const name of [...new Set(names)].sort()) {
    const value = await source.read(name).catch(() => undefined);
    if (value !== undefined) secrets.push({ name, value });
  }
  return redactorOf(secrets);
}

/**
 * Every secret a site's documents name: the SSH client key, the secrets it may deliver, TSIG keys and CA
 * keys. Gate output can only ever leak what the controller or the nodes hold, and these are all of it.
 */
export function siteSecretNames(spec: Spec): string[] {
  const site = spec.site.doc.spec;
  return [
    site.ssh.clientKeySecret,
    ...site.secrets.map((s) => s.name),
    ...Object.values(spec.zones).map((z) => z.doc.spec.tsigKeySecret),
    ...Object.values(spec.certificateAuthorities).map((ca) => ca.doc.spec.keySecret),
  ];
}
