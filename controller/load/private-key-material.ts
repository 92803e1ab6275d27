/**
 * Whether a text holds private key material, and where. Keys never belong in a site repository (DESIGN,
 * principle 5), and they come in many disguises: PEM and its relatives, PuTTY and OpenPGP files, age
 * identities, kubeconfig client keys, JSON Web Keys with their private member, and any of these once more
 * in base64 (a Kubernetes Secret's `data`). Public keys, certificates, CSRs and files encrypted as a whole
 * (age, SOPS) hold nothing secret in the clear and are not matched.
 */
import { diagnostic, type Diagnostic } from '../spec/diagnostic.js';
import type { SourceLocation } from '../model/source-location.js';
import { scanDecodings } from './text-encoding.js';

export interface KeyMaterial {
  /** Offset in the scanned text where the material (or the base64 that hides it) begins. */
  index: number;
  /** What was found, for the message: 'a PuTTY private key file', 'an age secret key, base64-encoded'. */
  what: string;
}

export function privateKeyDiagnostic(what: string, location: SourceLocation): Diagnostic {
  return diagnostic(
    'PrivateKeyMaterial',
    `private key material in the repository (${what}): keys stay on the nodes and in the controller's secret store, never in Git (remove it and rotate the key)`,
    { location },
  );
}

interface Marker {
  pattern: RegExp;
  what: (match: string) => string;
}

/**
 * PEM (`-----BEGIN RSA PRIVATE KEY-----`, `ENCRYPTED PRIVATE KEY`: a passphrase does not make a key fit
 * for Git), RFC 4716's `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----` and OpenPGP's `PRIVATE KEY BLOCK`
 * (`SECRET KEY BLOCK` in PGP 2).
 */
const ARMOURED = /-{4,5} ?BEGIN (?:[A-Z0-9]+ )*(?:PRIVATE|SECRET) KEY(?: BLOCK)? ?-{4,5}/g;
const MARKERS: readonly Marker[] = [
  { pattern: ARMOURED, what: (m) => (m.includes('PGP') ? 'an OpenPGP private key block' : `a private key (${m.trim()})`) },
  { pattern: /PuTTY-User-Key-File-\d+:/g, what: () => 'a PuTTY private key file (.ppk)' },
  { pattern: /AGE-SECRET-KEY-1[0-9A-Z]{20,}/gi, what: () => 'an age secret key' },
  { pattern: /["']?client-key-data["']?\s*:\s*["']?[A-Za-z0-9+/]{16,}/g, what: () => 'a kubeconfig client key (client-key-data)' },
  // The binary form of an OpenSSH private key, met when its armour was stripped and the rest base64-decoded.
  { pattern: /openssh-key-v1\0/g, what: () => 'an OpenSSH private key' },
];

/**
 * A JWK's private member `d` (RSA, EC and OKP keys): a long base64url value, with `kty` close by (an RSA
 * key's modulus may stand between them). Parsed YAML mappings are checked structurally as well.
 */
const JWK_PRIVATE_MEMBER = /(?<![\w-])(["']?)d\1\s*:\s*["']?[A-Za-z0-9_-]{32,}/g;
const JWK_KEY_TYPE = /(?<![\w-])["']?kty["']?\s*:/;
const JWK_WINDOW = 4096;

/** Base64 of plausible length (48 bytes and more), possibly wrapped over indented lines as `base64` and YAML write it. */
const BASE64_RUN = /[A-Za-z0-9+/]{64,}={0,2}(?:[ \t]*\r?\n[ \t]*[A-Za-z0-9+/]{4,}={0,2})*/g;
const MIN_BASE64_LENGTH = 64;

interface Span extends KeyMaterial {
  end: number;
}

/** The material in `text`, in order, looking one level deep into base64. */
export function findPrivateKeyMaterial(text: string): KeyMaterial[] {
  const spans = [...markersIn(text), ...jwksIn(text)];
  for (const run of text.matchAll(BASE64_RUN)) {
    const inner = inDecodedBase64(run[0]);
    if (inner) spans.push({ index: run.index, end: run.index + run[0].length, what: inner });
  }
  return withoutOverlaps(spans).map(({ index, what }) => ({ index, what }));
}

/**
 * What a whole base64 value hides, if anything: for a value known to be base64 (a YAML string of base64
 * characters and whitespace only, a `contentBase64` field) rather than a run found in running text.
 */
export function inDecodedBase64(value: string): string | undefined {
  const bytes = Buffer.from(value.replace(/\s+/g, ''), 'base64');
  if (!mayHoldMarker(bytes)) return undefined;
  for (const { encoding, text } of scanDecodings(bytes)) {
    const [first] = withoutOverlaps([...markersIn(text), ...jwksIn(text)]);
    if (first) return `${first.what}, base64-encoded${encoding === 'utf-8' ? '' : ` ${encoding.toUpperCase()}`}`;
  }
  return undefined;
}

/** Every marker has one of these in ASCII; in UTF-16 or UTF-32 too, once the NULs are dropped. */
const MARKER_HINT = /BEGIN|PuTTY-User-Key-File|AGE-SECRET-KEY|client-key-data|openssh-key-v1|kty/i;

/** Most base64 is a public key or a certificate body: rule it out without decoding it five ways. */
function mayHoldMarker(bytes: Buffer): boolean {
  const narrow = bytes.includes(0) ? Buffer.from(bytes.filter((b) => b !== 0)) : bytes;
  return MARKER_HINT.test(narrow.toString('latin1'));
}

/** A string that is base64 and nothing else, long enough to hold a key. */
export function looksLikeBase64(value: string): boolean {
  const compact = value.replace(/\s+/g, '');
  return compact.length >= MIN_BASE64_LENGTH && /^[A-Za-z0-9+/]+={0,2}$/.test(compact);
}

function markersIn(text: string): Span[] {
  const out: Span[] = [];
  for (const { pattern, what } of MARKERS) {
    for (const m of text.matchAll(pattern)) out.push({ index: m.index, end: m.index + m[0].length, what: what(m[0]) });
  }
  return out;
}

function jwksIn(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(JWK_PRIVATE_MEMBER)) {
    const near = text.slice(Math.max(0, m.index - JWK_WINDOW), m.index + JWK_WINDOW);
    if (JWK_KEY_TYPE.test(near)) out.push({ index: m.index, end: m.index + m[0].length, what: 'a JSON Web Key with its private member "d"' });
  }
  return out;
}

/** One finding per place: a kubeconfig's client-key-data is not also reported as the base64 it holds. */
function withoutOverlaps(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.index - b.index || b.end - a.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.index < last.end) continue;
    out.push(s);
  }
  return out;
}
