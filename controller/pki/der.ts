/**
 * The few DER steps the CA does by hand: assembling a certificate body from parts each encoded by the schema
 * classes, the outer SEQUENCE around a signed body, and finding a part's bytes as received. Encoding a whole
 * body through the schema classes costs more than signing it, and re-encoding what was received (a request's
 * public key) gives bytes nobody signed.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function derElement(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag), length(content.length), content]);
}

export const derSequence = (...parts: Buffer[]): Buffer => derElement(0x30, Buffer.concat(parts));

/** A BIT STRING of whole bytes (a signature): no unused bits. */
export const derBitString = (bytes: Buffer): Buffer => derElement(0x03, Buffer.concat([Buffer.of(0), bytes]));

/** The complete elements (tag, length, content) inside a constructed element, as slices of it. Definite lengths only, as DER. */
export function derChildren(der: Buffer): Buffer[] {
  const children: Buffer[] = [];
  let at = headerLength(der, 0);
  while (at < der.length) {
    const size = headerLength(der, at) + contentLength(der, at);
    children.push(der.subarray(at, at + size));
    at += size;
  }
  if (at !== der.length) throw new Error('DER element overruns its parent');
  return children;
}

/** An element's content, without its tag and length. */
export const derContent = (element: Buffer): Buffer => element.subarray(headerLength(element, 0));

function headerLength(der: Buffer, at: number): number {
  const first = der[at + 1];
  if (first === undefined) throw new Error('truncated DER');
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function contentLength(der: Buffer, at: number): number {
  const first = der[at + 1]!;
  if (first < 0x80) return first;
  if (first === 0x80 || first > 0x84) throw new Error('not a DER length');
  let n = 0;
  for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + der[at + 2 + i]!;
  return n;
}

/** PEM armour, 64 columns as RFC 7468 writes it. */
export function toPem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER inside the first PEM block with this label, or the input itself when it is DER already. */
export function fromPem(label: string, input: string | Uint8Array): Buffer | null {
  if (typeof input !== 'string' && input[0] === 0x30) return Buffer.from(input);
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`).exec(text);
  return match ? Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64') : null;
}

/** The schema classes type their byte fields as ArrayBuffer: a copy of exactly these bytes. */
export const arrayBufferOf = (bytes: Uint8Array): ArrayBuffer => Uint8Array.from(bytes).buffer;
