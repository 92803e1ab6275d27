/**
 * The few DER encodings the CA writes by hand: the outer SEQUENCE of a signed certificate or CRL, around a
 * body already encoded. Re-encoding the body through the schema classes would cost as much as building it.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function element(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag), length(content.length), content]);
}

export const derSequence = (...parts: Buffer[]): Buffer => element(0x30, Buffer.concat(parts));

/** A BIT STRING of whole bytes (a signature): no unused bits. */
export const derBitString = (bytes: Buffer): Buffer => element(0x03, Buffer.concat([Buffer.of(0), bytes]));

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
