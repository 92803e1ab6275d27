/**
 * How the bytes of a repository file become text. Documents and templates must be valid UTF-8: a lenient
 * decoder would turn a bad byte into U+FFFD and ship that to the nodes. Every other file only has to be
 * readable enough to be scanned for key material, in whatever encoding it happens to be.
 */

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

export interface DecodedText {
  encoding: TextEncodingName;
  text: string;
}

/** Longest first: the UTF-32LE mark begins with the UTF-16LE one. */
const BYTE_ORDER_MARKS: readonly [TextEncodingName, readonly number[]][] = [
  ['utf-32le', [0xff, 0xfe, 0x00, 0x00]],
  ['utf-32be', [0x00, 0x00, 0xfe, 0xff]],
  ['utf-8', [0xef, 0xbb, 0xbf]],
  ['utf-16le', [0xff, 0xfe]],
  ['utf-16be', [0xfe, 0xff]],
];

const WIDE_ENCODINGS: readonly TextEncodingName[] = ['utf-16le', 'utf-16be', 'utf-32le', 'utf-32be'];

function byteOrderMark(bytes: Uint8Array): TextEncodingName | undefined {
  for (const [encoding, mark] of BYTE_ORDER_MARKS) {
    if (bytes.length >= mark.length && mark.every((b, i) => bytes[i] === b)) return encoding;
  }
  return undefined;
}

// Made once: a TextDecoder costs more to construct than to decode a short value with.
const DECODERS = { 'utf-8': new TextDecoder('utf-8'), 'utf-16le': new TextDecoder('utf-16le'), 'utf-16be': new TextDecoder('utf-16be') } as const;

/** Lenient: invalid sequences become U+FFFD, which is all a scan for ASCII markers needs. */
function decodeAs(bytes: Uint8Array, encoding: TextEncodingName): string {
  if (encoding === 'utf-32le' || encoding === 'utf-32be') return decodeUtf32(bytes, encoding === 'utf-32le');
  return DECODERS[encoding].decode(bytes);
}

/**
 * Every reading of the bytes a scan should look at: the one a byte order mark names; else UTF-8, and when the
 * bytes hold NULs (which text in UTF-8 practically never does, but UTF-16 and UTF-32 text of ASCII always
 * does) every wide encoding as well. Reading all of them is cheaper to trust than guessing one.
 */
export function scanDecodings(bytes: Uint8Array): DecodedText[] {
  const marked = byteOrderMark(bytes);
  if (marked) return [{ encoding: marked, text: decodeAs(bytes, marked) }];
  const texts: DecodedText[] = [{ encoding: 'utf-8', text: decodeAs(bytes, 'utf-8') }];
  if (bytes.includes(0)) for (const encoding of WIDE_ENCODINGS) texts.push({ encoding, text: decodeAs(bytes, encoding) });
  return texts;
}

export type StrictDecoding = { ok: true; text: string } | { ok: false; line: number; column: number; reason: string };

/**
 * UTF-8 or a refusal that says where the first bad byte is (1-based line, and column in characters as the
 * YAML parser counts them), or which other encoding the file is in. A UTF-8 byte order mark is dropped.
 */
export function decodeUtf8Strict(bytes: Uint8Array): StrictDecoding {
  const marked = byteOrderMark(bytes);
  if (marked && marked !== 'utf-8') return { ok: false, line: 1, column: 1, reason: `the file is ${marked.toUpperCase()} (by its byte order mark)` };
  const bad = firstInvalidUtf8(bytes);
  if (bad < 0) return { ok: true, text: DECODERS['utf-8'].decode(bytes) };
  const lineStart = bad === 0 ? 0 : bytes.lastIndexOf(0x0a, bad - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  const column = DECODERS['utf-8'].decode(bytes.subarray(lineStart, bad)).length + 1;
  return { ok: false, line, column, reason: `byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad} does not begin a valid UTF-8 sequence` };
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (RFC 3629: no overlongs, surrogates or values past U+10FFFF), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return -1;
}

const continuation = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/** Length of the valid multi-byte sequence at `i`, or 0. The second byte's range rules out overlongs and surrogates. */
// eslint-disable-next-line complexity -- Unicode's table of well-formed UTF-8 byte sequences (3-7), row by row: split up, the table could no longer be checked against the standard at a glance
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  const second = bytes[i + 1];
  if (b >= 0xc2 && b <= 0xdf) return continuation(second) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const low = b === 0xe0 ? 0xa0 : 0x80;
    const high = b === 0xed ? 0x9f : 0xbf;
    return second !== undefined && second >= low && second <= high && continuation(bytes[i + 2]) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const low = b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xf4 ? 0x8f : 0xbf;
    return second !== undefined && second >= low && second <= high && continuation(bytes[i + 2]) && continuation(bytes[i + 3]) ? 4 : 0;
  }
  return 0;
}

function decodeUtf32(bytes: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const cp = view.getUint32(i, littleEndian);
    parts.push(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd');
  }
  // A UTF-32 byte order mark decodes to U+FEFF like the UTF-16 ones, which TextDecoder drops: do the same.
  if (parts[0] === '\ufeff') parts.shift();
  return parts.join('');
}
