/**
 * The client's zone read against a scripted server on loopback, for the failures a healthy BIND does not
 * produce: a transfer cut short, an unsigned tail, a forged message, silence. Each must throw, never
 * return a partial zone (external-dns's failure: a failed read taken for an empty zone).
 */
import test from 'ava';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { steppingClock } from '../../clock.js';
import { DnsClient } from './dns-client.js';
import { DnsError } from './dns-error.js';
import { parseTsigRdata, signMessage, TsigKey } from './tsig.js';
import { decodeMessage, encodeHeader, encodeQuestion, encodeRecord } from './wire.js';

const key = new TsigKey('k.', Buffer.alloc(32, 7));
const clock = steppingClock('2025-06-01T12:00:00Z', 0);
const ZONE = 'example.test';

/** Builds an AXFR response message: the header says response, NOERROR. */
function axfrMessage(id: number, records: Buffer[]): Buffer {
  const header = encodeHeader({ id, opcode: 0, counts: [1, records.length, 0, 0] });
  header.writeUInt16BE(header.readUInt16BE(2) | 0x8400, 2);
  return Buffer.concat([header, encodeQuestion(ZONE, 'AXFR'), ...records]);
}
// SOA is no type underlay writes, but the wire layer encodes it through dns-packet like any other.
const soaData = { mname: `ns.${ZONE}`, rname: `hostmaster.${ZONE}`, serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 300 };
const soa = (): Buffer => encodeRecord({ name: ZONE, type: 'SOA', class: 'IN', ttl: 300, data: soaData as never });
const a = (i: number): Buffer => encodeRecord({ name: `h${i}.${ZONE}`, type: 'A', class: 'IN', ttl: 60, data: `198.18.0.${i}` });

type Script = (id: number, requestMac: Buffer) => { frames: Buffer[]; close: boolean };

async function serve(script: Script): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const request = buf.subarray(2);
      const m = decodeMessage(request);
      const tsig = m.additionals.at(-1)!;
      const { frames, close } = script(m.id, parseTsigRdata(tsig.name, tsig.data as Buffer).mac);
      for (const f of frames) {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(f.length);
        socket.write(Buffer.concat([length, f]));
      }
      if (close) socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function read(script: Script, timeoutMs = 5000): Promise<unknown> {
  const { server, port } = await serve(script);
  try {
    return await new DnsClient({ server: { host: '127.0.0.1', port }, key, clock, timeoutMs }).axfr(ZONE);
  } finally {
    server.close();
  }
}

const signed = (id: number, requestMac: Buffer, records: Buffer[]): Buffer => signMessage(axfrMessage(id, records), key, { now: clock.now(), requestMac }).signed;

test('a complete, signed one-message transfer is read', async (t) => {
  const zone = (await read((id, mac) => ({ frames: [signed(id, mac, [soa(), a(1), a(2), soa()])], close: false }))) as { records: unknown[]; serial: number };
  t.is(zone.serial, 7);
  t.is(zone.records.length, 2);
});

test('a transfer the server cuts short is an error naming how far it got, not a smaller zone', async (t) => {
  const error = await t.throwsAsync(read((id, mac) => ({ frames: [signed(id, mac, [soa(), a(1), a(2)])], close: true })), { instanceOf: DnsError });
  t.is(error?.code, 'DnsZoneReadFailed');
  t.regex(error?.message ?? '', /incomplete after 3 records/);
});

test('an unsigned or forged answer to a signed transfer is an error', async (t) => {
  const unsigned = await t.throwsAsync(read((id) => ({ frames: [axfrMessage(id, [soa(), a(1), soa()])], close: false })), { instanceOf: DnsError });
  t.like(unsigned, { code: 'DnsZoneReadFailed', data: { tsigError: 'Unsigned' } });
  const forged = await t.throwsAsync(
    read((id) => ({ frames: [signed(id, Buffer.alloc(32), [soa(), a(1), soa()])], close: false })),
    { instanceOf: DnsError },
  );
  t.like(forged, { code: 'DnsZoneReadFailed', data: { tsigError: 'BADSIG' } });
});

test('a server that never answers times out, and the read fails', async (t) => {
  const error = await t.throwsAsync(read(() => ({ frames: [], close: false }), 300), { instanceOf: DnsError });
  t.is(error?.code, 'DnsZoneReadFailed');
  t.regex(error?.message ?? '', /within 300 ms/);
});

test('an update answered with another message id is refused as invalid', async (t) => {
  const { server, port } = await serve((id, mac) => ({ frames: [signed((id + 1) & 0xffff, mac, [])], close: false }));
  try {
    const client = new DnsClient({ server: { host: '127.0.0.1', port }, key, clock, timeoutMs: 5000 });
    const error = await t.throwsAsync(client.update({ zone: ZONE, groups: [] }), { instanceOf: DnsError });
    t.is(error?.code, 'DnsResponseInvalid');
  } finally {
    server.close();
  }
});
