/**
 * A DNS client over TCP (two-byte length prefix, RFC 1035 §4.2.2) for what a zone target needs: signed
 * RFC 2136 updates, a TSIG-verified AXFR, and plain queries. Each operation opens its own connection and has
 * a deadline. Server answers to an update are returned as results; anything that leaves the outcome unknown
 * (timeout, lost connection, an answer that does not verify) is thrown as a DnsError.
 */
import { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { DnsError, type DnsErrorData } from './dns-error.js';
import { sendBisectingOnPrerequisiteFailure, type BisectResult } from './bisect-prerequisites.js';
import { signMessage, TsigStreamVerifier, verifyResponse, type TsigKey, type TsigVerdict } from './tsig.js';
import { DEFAULT_BOUNDS, encodeUpdate, splitIntoMessages, type ChangeGroup, type MessageBounds, type UpdateMessage } from './update-message.js';
import { canonicalName, decodeMessage, encodeHeader, encodeQuestion, OPCODE_QUERY, rcodeName, recordFromWire, type DecodedMessage, type DecodedRecord, type DnsRecord, type DnsRecordType, type WireRecord } from './wire.js';

export interface DnsServer {
  host: string;
  port: number;
}

export interface DnsClientOptions {
  server: DnsServer;
  /** Absent: requests go unsigned (a server that wants TSIG refuses them). */
  key?: TsigKey;
  clock: Clock;
  /** Per operation, connecting included. */
  timeoutMs?: number;
  /** Message ids; random by default (RFC 5452), passed in for reproducible tests. */
  nextId?: () => number;
}

export type UpdateResult = { ok: true } | { ok: false; error: DnsError };

/** What an AXFR returned: the records of the types underlay writes, and the rest (SOA, NS, ...) by name and type. */
export interface ZoneContents {
  zone: string;
  serial: number;
  records: DnsRecord[];
  others: { name: string; type: string; ttl: number }[];
}

export interface SyncResult extends BisectResult<DnsError> {
  /** How many messages the changes were split into before any retry. */
  planned: number;
}

/** Reads length-prefixed frames off a socket, in order, until the deadline. */
class FrameReader {
  #buffer = Buffer.alloc(0);
  #waiting: ((frame: Buffer | Error) => void) | undefined;
  #ended: Error | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#deliver();
    });
    const end = (error: Error): void => {
      this.#ended ??= error;
      this.#deliver();
    };
    socket.on('error', end);
    socket.on('close', () => end(new Error('the server closed the connection')));
  }

  #frame(): Buffer | undefined {
    if (this.#buffer.length < 2) return undefined;
    const length = this.#buffer.readUInt16BE(0);
    if (this.#buffer.length < 2 + length) return undefined;
    const frame = this.#buffer.subarray(2, 2 + length);
    this.#buffer = this.#buffer.subarray(2 + length);
    return frame;
  }

  #deliver(): void {
    if (!this.#waiting) return;
    const frame = this.#frame() ?? this.#ended;
    if (!frame) return;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting(frame);
  }

  next(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#waiting = (f) => (f instanceof Error ? reject(f) : resolve(f));
      this.#deliver();
    });
  }
}

export class DnsClient {
  readonly #opts: DnsClientOptions;
  readonly #server: string;

  constructor(opts: DnsClientOptions) {
    this.#opts = opts;
    this.#server = `${opts.server.host}:${opts.server.port}`;
  }

  /** One UPDATE message: applied whole, or rejected whole with the server's answer. */
  async update(message: UpdateMessage): Promise<UpdateResult> {
    const zone = canonicalName(message.zone);
    const id = this.#id();
    const request = this.#sign(encodeUpdate(message, id));
    const [answer] = await this.#exchange(zone, request.bytes, () => false);
    const m = this.#answerTo(zone, id, answer!);
    const verdict = this.#verify(m, answer!, request.mac);
    const rcode = rcodeName(m.rcode);
    const data: DnsErrorData = { zone, server: this.#server, rcode, authenticated: verdict?.ok ?? false };
    if (verdict && !verdict.ok) {
      return { ok: false, error: new DnsError('DnsTsigFailed', `update of zone ${zone} at ${this.#server}: ${rcode}, TSIG ${verdict.error}: ${verdict.detail}`, { ...data, tsigError: verdict.error }) };
    }
    if (rcode !== 'NOERROR') return { ok: false, error: new DnsError('DnsUpdateRejected', `update of zone ${zone} at ${this.#server}: the server answered ${rcode}`, data) };
    return { ok: true };
  }

  /**
   * Many change groups: split under the bounds, sent in order; a message rejected on its prerequisites is
   * bisected so the rest still land and each failing group is named. Other rejections are thrown, naming
   * the message (index, groups) that met them.
   */
  async sync(zone: string, groups: readonly ChangeGroup[], bounds: MessageBounds = DEFAULT_BOUNDS): Promise<SyncResult> {
    const messages = splitIntoMessages(zone, groups, bounds);
    const total: SyncResult = { applied: [], rejected: [], messages: 0, planned: messages.length };
    for (const [index, m] of messages.entries()) {
      const send = async (part: readonly ChangeGroup[]) => {
        const r = await this.update({ zone, groups: part });
        if (r.ok) return r;
        r.error.data.message = { index, of: messages.length, groups: part.map((g) => g.id) };
        return { ok: false as const, rcode: r.error.data.rcode ?? '', failure: r.error };
      };
      const result = await sendBisectingOnPrerequisiteFailure(m.groups, send, (e) => e);
      total.applied.push(...result.applied);
      total.rejected.push(...result.rejected);
      total.messages += result.messages;
    }
    return total;
  }

  /**
   * The whole zone by AXFR, every message's TSIG verified. Any failure (refused, unsigned, a broken chain,
   * a connection that ends before the closing SOA) throws DnsZoneReadFailed: a failed read never looks like
   * an empty or a partial zone.
   */
  async axfr(zone: string): Promise<ZoneContents> {
    zone = canonicalName(zone);
    const id = this.#id();
    const request = this.#sign(Buffer.concat([encodeHeader({ id, opcode: OPCODE_QUERY, counts: [1, 0, 0, 0] }), encodeQuestion(zone, 'AXFR')]));
    const stream = this.#opts.key && request.mac ? new TsigStreamVerifier(this.#opts.key, request.mac) : undefined;
    const fail = (why: string, extra: Partial<DnsErrorData> = {}): DnsError => new DnsError('DnsZoneReadFailed', `zone transfer of ${zone} from ${this.#server} failed: ${why}`, { zone, server: this.#server, ...extra });
    const records: DecodedRecord[] = [];
    let soaCount = 0;
    await this.#exchange(zone, request.bytes, (frame) => {
      const m = this.#decode(zone, frame);
      if (m.id !== id) throw fail(`an answer with message id ${m.id}, expected ${id}`);
      const verdict = stream?.next(frame, m, this.#opts.clock.now());
      if (verdict && !verdict.ok) throw fail(`TSIG ${verdict.error}: ${verdict.detail}`, { rcode: rcodeName(m.rcode), tsigError: verdict.error });
      if (m.rcode !== 0) throw fail(`the server answered ${rcodeName(m.rcode)}`, { rcode: rcodeName(m.rcode) });
      for (const r of m.answers) {
        if (r.type === 'SOA') soaCount += 1;
        if (soaCount < 2 || r.type !== 'SOA') records.push(r);
      }
      if (records[0]?.type !== 'SOA') throw fail('the transfer does not begin with the SOA record');
      return soaCount < 2;
    }).catch((error: unknown) => {
      if (error instanceof DnsError && error.code === 'DnsZoneReadFailed') throw error;
      throw fail(`incomplete after ${records.length} records: ${(error as Error).message}`);
    });
    if (stream && !stream.complete) throw fail('the last message of the transfer is not signed');
    return contentsOf(zone, records);
  }

  /** The records of one name and type, as the server answers them (NXDOMAIN: none). */
  async query(name: string, type: DnsRecordType): Promise<DnsRecord[]> {
    const zone = canonicalName(name);
    const id = this.#id();
    const request = this.#sign(Buffer.concat([encodeHeader({ id, opcode: OPCODE_QUERY, counts: [1, 0, 0, 0] }), encodeQuestion(name, type as WireRecord['type'])]));
    const [answer] = await this.#exchange(zone, request.bytes, () => false);
    const m = this.#answerTo(zone, id, answer!);
    const verdict = this.#verify(m, answer!, request.mac);
    const rcode = rcodeName(m.rcode);
    if (verdict && !verdict.ok) throw new DnsError('DnsTsigFailed', `query ${name} ${type} at ${this.#server}: TSIG ${verdict.error}: ${verdict.detail}`, { zone, server: this.#server, rcode, tsigError: verdict.error });
    if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') throw new DnsError('DnsQueryFailed', `query ${name} ${type} at ${this.#server}: the server answered ${rcode}`, { zone, server: this.#server, rcode });
    return m.answers.filter((r) => r.type === type).flatMap((r) => recordFromWire(r) ?? []);
  }

  #id(): number {
    return this.#opts.nextId?.() ?? randomInt(0, 0x10000);
  }

  #sign(message: Buffer): { bytes: Buffer; mac?: Buffer } {
    if (!this.#opts.key) return { bytes: message };
    const { signed, mac } = signMessage(message, this.#opts.key, { now: this.#opts.clock.now() });
    return { bytes: signed, mac };
  }

  /** Undefined when nothing was signed: there is nothing to verify. */
  #verify(m: DecodedMessage, buf: Buffer, requestMac: Buffer | undefined): TsigVerdict | undefined {
    if (!this.#opts.key || !requestMac) return undefined;
    return verifyResponse(buf, this.#opts.key, { now: this.#opts.clock.now(), requestMac, message: m });
  }

  #decode(zone: string, frame: Buffer): DecodedMessage {
    try {
      return decodeMessage(frame);
    } catch (error) {
      throw new DnsError('DnsResponseInvalid', `answer from ${this.#server} for zone ${zone}: ${(error as Error).message}`, { zone, server: this.#server });
    }
  }

  /** An answer to another message (a stale or spoofed one) is never taken for this one's. */
  #answerTo(zone: string, id: number, frame: Buffer): DecodedMessage {
    const m = this.#decode(zone, frame);
    if (m.id !== id || !m.isResponse) throw new DnsError('DnsResponseInvalid', `answer from ${this.#server} for zone ${zone} has message id ${m.id}${m.isResponse ? '' : ' and is no response'}, expected a response to ${id}`, { zone, server: this.#server });
    return m;
  }

  /** Sends one request and reads answers while `more(frame)` says so. */
  async #exchange(zone: string, request: Buffer, more: (frame: Buffer) => boolean): Promise<Buffer[]> {
    const { host, port } = this.#opts.server;
    const timeoutMs = this.#opts.timeoutMs ?? 10_000;
    const socket = new Socket();
    const reader = new FrameReader(socket);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DnsError('DnsTimeout', `no complete answer from ${this.#server} for zone ${zone} within ${timeoutMs} ms`, { zone, server: this.#server })), timeoutMs);
    });
    const work = async (): Promise<Buffer[]> => {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', (e) => reject(new DnsError('DnsUnreachable', `cannot reach DNS server ${this.#server} for zone ${zone}: ${e.message}`, { zone, server: this.#server })));
        socket.connect(port, host, resolve);
      });
      socket.setNoDelay(true);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(request.length);
      socket.write(Buffer.concat([length, request]));
      const frames: Buffer[] = [];
      for (;;) {
        const frame = await reader.next();
        frames.push(frame);
        if (!more(frame)) return frames;
      }
    };
    try {
      return await Promise.race([work(), deadline]);
    } finally {
      clearTimeout(timer);
      socket.destroy();
    }
  }
}

function contentsOf(zone: string, wire: readonly DecodedRecord[]): ZoneContents {
  const soa = wire[0]!.data as { serial: number };
  const records: DnsRecord[] = [];
  const others: ZoneContents['others'] = [];
  for (const r of wire) {
    const record = recordFromWire(r);
    if (record) records.push(record);
    else others.push({ name: canonicalName(r.name), type: r.type, ttl: r.ttl });
  }
  return { zone, serial: soa.serial, records, others };
}
