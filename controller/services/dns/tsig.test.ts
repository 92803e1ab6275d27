import test from 'ava';
import { inspect } from 'node:util';
import { TsigKey, TsigStreamVerifier, parseTsigRdata, signMessage, verifyRequest, verifyResponse } from './tsig.js';
import { decodeMessage, encodeHeader, encodeQuestion, encodeRecord, OPCODE_QUERY } from './wire.js';

// A query signed by BIND's dig (`dig +tcp -y hmac-sha256:fixture-key.:<secret> www.example.test A`), captured
// off the wire: another implementation's MAC, so signing and verification are checked against more than themselves.
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const DIG_QUERY = Buffer.from(
  '721f0120000100000000000203777777076578616d706c650474657374000001000100002904d000000000000c000a00084d891d23308ee7130b666978747572652d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b0f66b9012c00204b986b3072e855a5fe580f9e12847ce08c5cdd6f4725ef2218814fd4e64b7426721f00000000',
  'hex',
);
const DIG_TIME = new Date(0x6b0f66b9 * 1000);
const key = new TsigKey('fixture-key', SECRET);

test('a request signed by dig verifies, and signing its bytes again at its time gives dig\'s MAC', (t) => {
  const verdict = verifyRequest(DIG_QUERY, key, DIG_TIME);
  t.true(verdict.ok);
  const m = decodeMessage(DIG_QUERY);
  const unsigned = Buffer.from(DIG_QUERY.subarray(0, m.tsigOffset));
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const { signed, mac } = signMessage(unsigned, key, { now: DIG_TIME });
  t.true(verdict.ok && mac.equals(verdict.mac));
  t.true(signed.equals(DIG_QUERY));
});

test('a flipped byte, another secret, another key name or a stale time do not verify', (t) => {
  const flipped = Buffer.from(DIG_QUERY);
  flipped[14] = flipped[14]! ^ 1;
  t.like(verifyRequest(flipped, key, DIG_TIME), { ok: false, error: 'BADSIG' });
  t.like(verifyRequest(DIG_QUERY, new TsigKey('fixture-key', Buffer.from('another secret')), DIG_TIME), { ok: false, error: 'BADSIG' });
  t.like(verifyRequest(DIG_QUERY, new TsigKey('other-key', SECRET), DIG_TIME), { ok: false, error: 'WrongKey' });
  t.like(verifyRequest(DIG_QUERY, key, new Date(DIG_TIME.getTime() + 301_000)), { ok: false, error: 'BADTIME' });
  t.true(verifyRequest(DIG_QUERY, key, new Date(DIG_TIME.getTime() + 300_000)).ok);
});

const now = new Date('2025-06-01T12:00:00Z');
const query = (id: number): Buffer => Buffer.concat([encodeHeader({ id, opcode: OPCODE_QUERY, counts: [1, 0, 0, 0] }), encodeQuestion('example.test', 'SOA')]);
function response(id: number, answers: number): Buffer {
  const header = encodeHeader({ id, opcode: OPCODE_QUERY, counts: [1, answers, 0, 0] });
  header.writeUInt16BE(header.readUInt16BE(2) | 0x8000, 2);
  const records = Array.from({ length: answers }, (_, i) => encodeRecord({ name: `h${id}-${i}.example.test`, type: 'A', class: 'IN', ttl: 60, data: `198.18.0.${i}` }));
  return Buffer.concat([header, encodeQuestion('example.test', 'AXFR'), ...records]);
}

test('a response verifies only against the MAC of the request it answers', (t) => {
  const request = signMessage(query(7), key, { now });
  const other = signMessage(query(8), key, { now });
  const answer = signMessage(response(7, 2), key, { now, requestMac: request.mac });
  t.true(verifyResponse(answer.signed, key, { now, requestMac: request.mac }).ok);
  t.like(verifyResponse(answer.signed, key, { now, requestMac: other.mac }), { ok: false, error: 'BADSIG' });
  t.like(verifyResponse(response(7, 2), key, { now, requestMac: request.mac }), { ok: false, error: 'Unsigned' });
});

test('a server\'s TSIG error is reported by name', (t) => {
  const request = signMessage(query(9), key, { now });
  // BIND answers an unknown key with NOTAUTH and an unsigned TSIG record carrying BADKEY (17).
  const refused = signMessage(response(9, 0), new TsigKey('fixture-key', Buffer.from('x')), { now, error: 17 });
  t.like(verifyResponse(refused.signed, key, { now, requestMac: request.mac }), { ok: false, error: 'BADKEY' });
});

test('a stream verifies each MAC on the previous one, unsigned messages between signed ones included', (t) => {
  const request = signMessage(query(3), key, { now });
  const first = signMessage(response(3, 1), key, { now, requestMac: request.mac });
  const middle = response(3, 2);
  // RFC 8945 §5.3.1: a later MAC covers the prior MAC, every message since, and the timers only.
  const lastBody = response(3, 3);
  const priorSize = Buffer.alloc(2);
  priorSize.writeUInt16BE(first.mac.length);
  const timers = Buffer.alloc(8);
  timers.writeUIntBE(Math.floor(now.getTime() / 1000), 0, 6);
  timers.writeUInt16BE(300, 6);
  const lastMac = key.mac([priorSize, first.mac, middle, lastBody, timers]);
  const lastSigned = signMessage(lastBody, key, { now });
  const lastRecord = decodeMessage(lastSigned.signed);
  const last = Buffer.concat([lastSigned.signed.subarray(0, lastRecord.tsigOffset), replaceMac(lastSigned.signed.subarray(lastRecord.tsigOffset), lastMac)]);

  const verifier = new TsigStreamVerifier(key, request.mac);
  t.true(verifier.next(first.signed, decodeMessage(first.signed), now).ok);
  t.true(verifier.next(middle, decodeMessage(middle), now).ok);
  t.false(verifier.complete, 'an unsigned message is not authenticated until a signed one follows');
  t.true(verifier.next(last, decodeMessage(last), now).ok);
  t.true(verifier.complete);

  const reordered = new TsigStreamVerifier(key, request.mac);
  t.true(reordered.next(first.signed, decodeMessage(first.signed), now).ok);
  t.like(reordered.next(last, decodeMessage(last), now), { ok: false, error: 'BADSIG' }, 'a dropped message breaks the chain');
  t.like(new TsigStreamVerifier(key, request.mac).next(middle, decodeMessage(middle), now), { ok: false, error: 'Unsigned' });
});

function replaceMac(tsigRecord: Buffer, mac: Buffer): Buffer {
  // The record: owner name, 10 fixed bytes, then rdata whose MAC sits after the algorithm name and timers.
  const m = decodeMessage(Buffer.concat([encodeHeader({ id: 0, opcode: 0, counts: [0, 0, 0, 1] }), tsigRecord]));
  const parsed = parseTsigRdata(m.additionals[0]!.name, m.additionals[0]!.data as Buffer);
  const copy = Buffer.from(tsigRecord);
  copy.set(mac, copy.indexOf(parsed.mac));
  return copy;
}

test('the secret shows in no serialisation of the key', (t) => {
  const secretText = [SECRET.toString('base64'), SECRET.toString('hex'), SECRET.toString('latin1')];
  for (const shown of [JSON.stringify(key), inspect(key, { showHidden: true, depth: 5 }), String(key), JSON.stringify({ data: { key } })]) {
    for (const s of secretText) t.false(shown.includes(s), shown);
  }
});
