import test from 'ava';
import { decodeUtf8Strict, firstInvalidUtf8, scanDecodings } from './text-encoding.js';

const bytes = (...parts: (string | number[])[]): Uint8Array => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('valid UTF-8 of every length decodes; a UTF-8 byte order mark is dropped', (t) => {
  t.deepEqual(decodeUtf8Strict(bytes('a é € 𝄞\n')), { ok: true, text: 'a é € 𝄞\n' });
  t.deepEqual(decodeUtf8Strict(bytes([0xef, 0xbb, 0xbf], 'x: 1\n')), { ok: true, text: 'x: 1\n' });
});

test('the first invalid byte is found, whatever makes it invalid', (t) => {
  const cases: [number[], number][] = [
    [[0x61, 0xff], 1], // never valid
    [[0x80], 0], // lone continuation
    [[0xc0, 0xaf], 0], // overlong '/'
    [[0xe0, 0x80, 0xaf], 0], // overlong, three bytes
    [[0xed, 0xa0, 0x80], 0], // UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // past U+10FFFF
    [[0x61, 0xe2, 0x82], 1], // truncated at the end
    [[0xe2, 0x82, 0xac, 0xc3], 3],
  ];
  for (const [input, offset] of cases) t.is(firstInvalidUtf8(Uint8Array.from(input)), offset, JSON.stringify(input));
  t.is(firstInvalidUtf8(bytes('€𝄞')), -1);
});

test('a refusal names the line and the column (in characters) of the bad byte', (t) => {
  t.like(decodeUtf8Strict(bytes('a: 1\nb: "é', [0xff], '"\n')), { ok: false, line: 2, column: 6 });
  t.like(decodeUtf8Strict(bytes([0xfe], 'x')), { ok: false, line: 1, column: 1 });
  t.like(decodeUtf8Strict(bytes([0xff, 0xfe], 'x')), { ok: false, line: 1, column: 1, reason: 'the file is UTF-16LE (by its byte order mark)' });
});

test('a scan reads the encoding a byte order mark names, or every wide one when there are NULs', (t) => {
  const text = 'key: value\n';
  const of = (b: Uint8Array) => scanDecodings(b).map((d) => [d.encoding, d.text.includes(text)]);
  t.deepEqual(of(bytes(text)), [['utf-8', true]]);
  t.deepEqual(of(bytes([0xff, 0xfe], [...Buffer.from(text, 'utf16le')])), [['utf-16le', true]]);
  t.deepEqual(of(bytes([0xfe, 0xff], [...Buffer.from(text, 'utf16le').swap16()])), [['utf-16be', true]]);
  const utf32le = Buffer.alloc(text.length * 4);
  [...text].forEach((c, i) => utf32le.writeUInt32LE(c.codePointAt(0)!, i * 4));
  t.deepEqual(of(bytes([0xff, 0xfe, 0, 0], [...utf32le])), [['utf-32le', true]]);
  t.deepEqual(of(bytes([0, 0, 0xfe, 0xff], [...Buffer.from(utf32le).swap32()])), [['utf-32be', true]]);
  // No mark: the NULs give the wide encodings away.
  t.deepEqual(of(Buffer.from(text, 'utf16le')), [['utf-8', false], ['utf-16le', true], ['utf-16be', false], ['utf-32le', false], ['utf-32be', false]]);
  t.deepEqual(of(Buffer.from(utf32le).swap32()).filter(([, found]) => found), [['utf-32be', true]]);
});
