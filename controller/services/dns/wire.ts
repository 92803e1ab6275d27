/**
 * The DNS wire format at the level of single resource records, over dns-packet's record codecs. dns-packet
 * encodes whole query packets well, but an RFC 2136 UPDATE needs what it lacks: class NONE (254), records
 * with empty rdata (class ANY deletes and prerequisites), and, for TSIG, the byte offset of the last
 * additional record. Those few pieces are here; the rdata of real records stays dns-packet's. Pure.
 */
import dnsPacket from 'dns-packet';
import { UnderlayError } from '../../model/errors.js';

export type DnsRecordType = 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'SRV' | 'TXT';
export const DNS_RECORD_TYPES: readonly DnsRecordType[] = ['A', 'AAAA', 'PTR', 'CNAME', 'SRV', 'TXT'];

export interface SrvTarget {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** One record of a type underlay writes. Names are absolute, without the trailing dot. */
export type DnsRecord =
  | { name: string; ttl: number; type: 'A' | 'AAAA' | 'PTR' | 'CNAME'; data: string }
  | { name: string; ttl: number; type: 'SRV'; data: SrvTarget }
  | { name: string; ttl: number; type: 'TXT'; data: readonly string[] };

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export type ClassName = keyof typeof CLASS;

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
export const rcodeName = (rcode: number): string => RCODES[rcode] ?? `RCODE${rcode}`;

export const TYPE_ANY = 255;
export const TYPE_SOA = 6;
export const TYPE_TSIG = 250;
export const OPCODE_QUERY = 0;
export const OPCODE_UPDATE = 5;

/** A record as it goes on the wire: `data` absent means empty rdata (RDLENGTH 0). */
export interface WireRecord {
  name: string;
  type: DnsRecordType | 'ANY' | 'SOA' | 'AXFR';
  class: ClassName;
  ttl: number;
  data?: DnsRecord['data'];
}

/** The record codecs dns-packet exports beside the packet functions (its index.js); @types/dns-packet omits them. */
interface Codec<T> {
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
  encodingLength(value: T): number;
}
interface CodecWithBytes<T> extends Codec<T> {
  encode: Codec<T>['encode'] & { bytes: number };
  decode: Codec<T>['decode'] & { bytes: number };
}
export interface DecodedRecord {
  name: string;
  type: string;
  class: string;
  ttl: number;
  data: unknown;
}
interface PacketCodecs {
  name: CodecWithBytes<string>;
  answer: CodecWithBytes<DecodedRecord>;
  question: CodecWithBytes<{ name: string; type: string; class: string }>;
  record(type: string): Codec<unknown>;
}
const codecs = dnsPacket as unknown as PacketCodecs;

const TYPE_CODES: Record<WireRecord['type'], number> = { A: 1, AAAA: 28, PTR: 12, CNAME: 5, SRV: 33, TXT: 16, ANY: TYPE_ANY, SOA: TYPE_SOA, AXFR: 252 };

const typeName = (code: number): string => (Object.keys(TYPE_CODES) as WireRecord['type'][]).find((k) => TYPE_CODES[k] === code) ?? `TYPE${code}`;

/** A name in wire form: uncompressed labels, lower case (names compare case-insensitively; TSIG wants canonical). */
export function encodeName(name: string): Buffer {
  return Buffer.from(codecs.name.encode(canonicalName(name)));
}

export function canonicalName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function rdataOf(type: DnsRecordType, data: DnsRecord['data']): Buffer {
  // dns-packet's TXT encoder turns strings into Buffers in place: hand it a copy.
  const value = type === 'TXT' ? [...(data as readonly string[])] : data;
  return Buffer.from(codecs.record(type).encode(value));
}

export function encodeRecord(r: WireRecord): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16BE(TYPE_CODES[r.type], 0);
  fixed.writeUInt16BE(CLASS[r.class], 2);
  fixed.writeUInt32BE(r.ttl, 4);
  const rdata = r.data === undefined ? Buffer.alloc(2) : rdataOf(r.type as DnsRecordType, r.data);
  return Buffer.concat([encodeName(r.name), fixed, rdata]);
}

export function encodeQuestion(name: string, type: WireRecord['type'], klass: ClassName = 'IN'): Buffer {
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(TYPE_CODES[type], 0);
  fixed.writeUInt16BE(CLASS[klass], 2);
  return Buffer.concat([encodeName(name), fixed]);
}

export interface HeaderFields {
  id: number;
  opcode: number;
  counts: readonly [number, number, number, number];
}

export function encodeHeader(h: HeaderFields): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt16BE(h.id, 0);
  buf.writeUInt16BE(h.opcode << 11, 2);
  h.counts.forEach((n, i) => buf.writeUInt16BE(n, 4 + 2 * i));
  return buf;
}

export interface DecodedMessage {
  id: number;
  isResponse: boolean;
  opcode: number;
  /** The 4-bit header RCODE (TSIG's extended errors are in the TSIG record). */
  rcode: number;
  questions: { name: string; type: string; class: string }[];
  answers: DecodedRecord[];
  authorities: DecodedRecord[];
  additionals: DecodedRecord[];
  /** Where the last additional record starts, when it is a TSIG record: what a MAC covers ends there. */
  tsigOffset?: number;
}

export class WireFormatError extends UnderlayError<{ bytes: number }> {
  declare readonly code: 'DnsMessageMalformed';

  constructor(bytes: number, message: string) {
    super({ code: 'DnsMessageMalformed', message, data: { bytes } });
  }
}

function decodeRecord(buf: Buffer, offset: number): { record: DecodedRecord; next: number } {
  const name = codecs.name.decode(buf, offset);
  const fixed = offset + codecs.name.decode.bytes;
  // dns-packet reads rdata by type even when RDLENGTH is 0, as it is in RFC 2136 deletes and prerequisites.
  if (buf.readUInt16BE(fixed + 8) === 0) {
    const klass = buf.readUInt16BE(fixed + 2);
    const className = (Object.keys(CLASS) as ClassName[]).find((k) => CLASS[k] === klass) ?? `UNKNOWN_${klass}`;
    const record = { name, type: typeName(buf.readUInt16BE(fixed)), class: className, ttl: buf.readUInt32BE(fixed + 4), data: Buffer.alloc(0) };
    return { record, next: fixed + 10 };
  }
  const record = codecs.answer.decode(buf, offset);
  // dns-packet knows no class NONE (it says UNKNOWN_254).
  if (record.class === 'UNKNOWN_254') record.class = 'NONE';
  return { record, next: offset + codecs.answer.decode.bytes };
}

/** Decodes a whole message, record by record, so the TSIG record's offset is known. Throws WireFormatError. */
export function decodeMessage(buf: Buffer): DecodedMessage {
  if (buf.length < 12) throw new WireFormatError(buf.length, `a DNS message of ${buf.length} bytes is shorter than its header`);
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o)) as [number, number, number, number];
  const m: DecodedMessage = {
    id: buf.readUInt16BE(0),
    isResponse: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  let offset = 12;
  try {
    for (let i = 0; i < counts[0]; i++) {
      m.questions.push(codecs.question.decode(buf, offset));
      offset += codecs.question.decode.bytes;
    }
    const sections = [m.answers, m.authorities, m.additionals];
    sections.forEach((section, s) => {
      for (let i = 0; i < counts[s + 1]!; i++) {
        const start = offset;
        const { record, next } = decodeRecord(buf, offset);
        section.push(record);
        offset = next;
        if (s === 2 && i === counts[3] - 1 && record.type === 'TSIG') m.tsigOffset = start;
      }
    });
  } catch (error) {
    throw new WireFormatError(buf.length, `malformed DNS message at byte ${offset}: ${(error as Error).message}`);
  }
  if (offset !== buf.length) throw new WireFormatError(buf.length, `DNS message has ${buf.length - offset} bytes after its last record`);
  return m;
}

/** dns-packet decodes TXT strings as Buffers; names may come back with any case. */
export function recordFromWire(r: DecodedRecord): DnsRecord | undefined {
  const name = canonicalName(r.name);
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return { name, ttl: r.ttl, type: r.type, data: r.data as string };
    case 'PTR':
    case 'CNAME':
      return { name, ttl: r.ttl, type: r.type, data: canonicalName(r.data as string) };
    case 'SRV': {
      const s = r.data as SrvTarget;
      return { name, ttl: r.ttl, type: 'SRV', data: { priority: s.priority, weight: s.weight, port: s.port, target: canonicalName(s.target) } };
    }
    case 'TXT':
      return { name, ttl: r.ttl, type: 'TXT', data: (r.data as Buffer[]).map((b) => b.toString('utf8')) };
    default:
      return undefined;
  }
}
