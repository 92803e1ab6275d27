/**
 * RFC 8945 TSIG with HMAC-SHA256: signing a request, verifying a response (its MAC chained on the
 * request's), and verifying a multi-message response such as AXFR (each MAC chained on the previous one,
 * with the timers only). The time is an argument: the caller's clock decides it. Pure: no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS, TYPE_TSIG, canonicalName, decodeMessage, encodeName, type DecodedMessage } from './wire.js';

export const HMAC_SHA256 = 'hmac-sha256';
/** BIND's and nsupdate's default: clocks may differ by five minutes. */
export const DEFAULT_FUDGE_SECONDS = 300;

/** RFC 8945 §3 TSIG error codes (in the TSIG record, with header RCODE NOTAUTH). */
export const TSIG_ERRORS = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' } as const;
export type TsigErrorName = (typeof TSIG_ERRORS)[keyof typeof TSIG_ERRORS];

/**
 * A TSIG key. The secret lives in a private field: it is not an own property, so neither JSON, nor
 * util.inspect, nor an error's data that holds the key can show it.
 */
export class TsigKey {
  readonly #secret: Buffer;

  constructor(
    readonly name: string,
    secret: Buffer,
    readonly algorithm: typeof HMAC_SHA256 = HMAC_SHA256,
  ) {
    if (secret.length === 0) throw new Error(`TSIG key ${name}: empty secret`);
    this.#secret = Buffer.from(secret);
  }

  mac(parts: readonly Buffer[]): Buffer {
    const h = createHmac('sha256', this.#secret);
    for (const p of parts) h.update(p);
    return h.digest();
  }

  toJSON(): { name: string; algorithm: string } {
    return { name: this.name, algorithm: this.algorithm };
  }
}

export interface TsigRecord {
  keyName: string;
  algorithm: string;
  /** Seconds since the epoch. */
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(n / 2 ** 32), 0);
  b.writeUInt32BE(n % 2 ** 32, 2);
  return b;
}

const timers = (t: Pick<TsigRecord, 'timeSigned' | 'fudge'>): Buffer => Buffer.concat([u48(t.timeSigned), u16(t.fudge)]);

/** RFC 8945 §4.3.3: the TSIG variables a MAC covers. */
function variables(t: TsigRecord): Buffer {
  const classAndTtl = Buffer.alloc(6);
  classAndTtl.writeUInt16BE(CLASS.ANY, 0);
  return Buffer.concat([encodeName(t.keyName), classAndTtl, encodeName(t.algorithm), timers(t), u16(t.error), u16(t.other.length), t.other]);
}

function encodeTsigRecord(t: TsigRecord): Buffer {
  const rdata = Buffer.concat([encodeName(t.algorithm), timers(t), u16(t.mac.length), t.mac, u16(t.originalId), u16(t.error), u16(t.other.length), t.other]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_TSIG, 0);
  fixed.writeUInt16BE(CLASS.ANY, 2);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(t.keyName), fixed, rdata]);
}

/** Reads the TSIG rdata that dns-packet hands back as raw bytes. */
export function parseTsigRdata(keyName: string, rdata: Buffer): TsigRecord {
  let o = 0;
  const labels: string[] = [];
  while (rdata[o] !== 0) {
    const len = rdata[o]!;
    if (len === undefined || len > 63 || o + 1 + len > rdata.length) throw new Error('TSIG algorithm name is malformed');
    labels.push(rdata.subarray(o + 1, o + 1 + len).toString('latin1'));
    o += 1 + len;
  }
  o += 1;
  const timeSigned = rdata.readUInt16BE(o) * 2 ** 32 + rdata.readUInt32BE(o + 2);
  const fudge = rdata.readUInt16BE(o + 6);
  const macSize = rdata.readUInt16BE(o + 8);
  const mac = rdata.subarray(o + 10, o + 10 + macSize);
  o += 10 + macSize;
  const otherLen = rdata.readUInt16BE(o + 4);
  const other = rdata.subarray(o + 6, o + 6 + otherLen);
  if (mac.length !== macSize || other.length !== otherLen || o + 6 + otherLen !== rdata.length) throw new Error('TSIG record is truncated');
  return { keyName: canonicalName(keyName), algorithm: labels.join('.').toLowerCase(), timeSigned, fudge, mac, originalId: rdata.readUInt16BE(o), error: rdata.readUInt16BE(o + 2), other };
}

export interface SignOptions {
  now: Date;
  fudge?: number;
  /** For a response: the MAC of the request it answers (RFC 8945 §5.3). */
  requestMac?: Buffer;
  error?: number;
}

/** Appends a TSIG record to a complete unsigned message. Returns the signed message and its MAC. */
export function signMessage(message: Buffer, key: TsigKey, opts: SignOptions): { signed: Buffer; mac: Buffer } {
  const unsigned: Omit<TsigRecord, 'mac'> = {
    keyName: canonicalName(key.name),
    algorithm: key.algorithm,
    timeSigned: Math.floor(opts.now.getTime() / 1000),
    fudge: opts.fudge ?? DEFAULT_FUDGE_SECONDS,
    originalId: message.readUInt16BE(0),
    error: opts.error ?? 0,
    other: Buffer.alloc(0),
  };
  const prior = opts.requestMac ? [u16(opts.requestMac.length), opts.requestMac] : [];
  const mac = key.mac([...prior, message, variables({ ...unsigned, mac: Buffer.alloc(0) })]);
  const withCount = Buffer.from(message);
  withCount.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed: Buffer.concat([withCount, encodeTsigRecord({ ...unsigned, mac })]), mac };
}

export type TsigVerdict =
  /** `tsig` is absent for an unsigned message inside a stream, covered by the next MAC. */
  | { ok: true; mac: Buffer; tsig?: TsigRecord }
  /** `error` is the TSIG error the peer reported (BADKEY, ...), or what this side found wrong. */
  | { ok: false; error: TsigErrorName | 'Unsigned' | 'WrongKey' | 'Malformed'; detail: string };

/** The bytes a MAC covers: the message before its TSIG record, with ARCOUNT less one and the original ID. */
function strippedOf(buf: Buffer, offset: number, originalId: number): Buffer {
  const m = Buffer.from(buf.subarray(0, offset));
  m.writeUInt16BE(originalId, 0);
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m;
}

function tsigOf(m: DecodedMessage): TsigRecord | undefined {
  if (m.tsigOffset === undefined) return undefined;
  const r = m.additionals[m.additionals.length - 1]!;
  return parseTsigRdata(r.name, r.data as Buffer);
}

interface CheckInput {
  buf: Buffer;
  message: DecodedMessage;
  key: TsigKey;
  now: Date;
  /** What precedes the message in the digest: the request MAC, or the prior MAC and unsigned messages. */
  prefix: readonly Buffer[];
  timersOnly: boolean;
}

function check(input: CheckInput): TsigVerdict {
  const { message, key } = input;
  let tsig: TsigRecord | undefined;
  try {
    tsig = tsigOf(message);
  } catch (error) {
    return { ok: false, error: 'Malformed', detail: (error as Error).message };
  }
  if (!tsig) return { ok: false, error: 'Unsigned', detail: 'the message carries no TSIG record' };
  if (tsig.error in TSIG_ERRORS) {
    const name = TSIG_ERRORS[tsig.error as keyof typeof TSIG_ERRORS];
    return { ok: false, error: name, detail: `the server answered TSIG error ${name} for key ${tsig.keyName}` };
  }
  if (tsig.keyName !== canonicalName(key.name) || tsig.algorithm !== key.algorithm) {
    return { ok: false, error: 'WrongKey', detail: `signed with key ${tsig.keyName} (${tsig.algorithm}), expected ${canonicalName(key.name)} (${key.algorithm})` };
  }
  const body = strippedOf(input.buf, message.tsigOffset!, tsig.originalId);
  const mac = key.mac([...input.prefix, body, input.timersOnly ? timers(tsig) : variables(tsig)]);
  if (tsig.mac.length !== mac.length || !timingSafeEqual(tsig.mac, mac)) return { ok: false, error: 'BADSIG', detail: `the MAC does not verify with key ${tsig.keyName}` };
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - tsig.timeSigned);
  if (skew > tsig.fudge) return { ok: false, error: 'BADTIME', detail: `signed ${skew} s away from this clock (fudge ${tsig.fudge} s)` };
  return { ok: true, mac: tsig.mac, tsig };
}

/** Verifies a request as a server would (used to test signing against other signers). */
export function verifyRequest(buf: Buffer, key: TsigKey, now: Date): TsigVerdict {
  return check({ buf, message: decodeMessage(buf), key, now, prefix: [], timersOnly: false });
}

/** Verifies a single response to a request whose MAC was `requestMac`. */
export function verifyResponse(buf: Buffer, key: TsigKey, opts: { now: Date; requestMac: Buffer; message?: DecodedMessage }): TsigVerdict {
  const message = opts.message ?? decodeMessage(buf);
  return check({ buf, message, key, now: opts.now, prefix: [u16(opts.requestMac.length), opts.requestMac], timersOnly: false });
}

/**
 * The messages of one multi-message response (AXFR), in order (RFC 8945 §5.3.1): the first and the last
 * must be signed; up to 99 unsigned ones may lie between, covered by the next MAC.
 */
export class TsigStreamVerifier {
  #priorMac: Buffer;
  #first = true;
  #unsigned: Buffer[] = [];

  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
  ) {
    this.#priorMac = requestMac;
  }

  next(buf: Buffer, message: DecodedMessage, now: Date): TsigVerdict {
    if (message.tsigOffset === undefined && !this.#first && this.#unsigned.length < 99) {
      this.#unsigned.push(buf);
      return { ok: true, mac: this.#priorMac };
    }
    const prefix = [u16(this.#priorMac.length), this.#priorMac, ...this.#unsigned];
    const verdict = check({ buf, message, key: this.key, now, prefix, timersOnly: !this.#first });
    if (verdict.ok) {
      this.#priorMac = verdict.mac;
      this.#first = false;
      this.#unsigned = [];
    }
    return verdict;
  }

  /** Whether the stream ended on a signed message: unsigned trailing messages are not authenticated. */
  get complete(): boolean {
    return !this.#first && this.#unsigned.length === 0;
  }
}
