/**
 * IP addresses, the one reading of their text (load's checks, resolve's allocation and DNS records, which must
 * never disagree), on ipaddr.js. Addresses are integers with a family, so ranges of either family compare
 * and iterate exactly.
 *
 * What counts as an address is narrower than ipaddr.js's `parse`: IPv4 only as four decimal parts without
 * leading zeros (`010.0.0.1` is octal to some resolvers and decimal to others, and `10.1` is a shorthand
 * nobody writes in a site file), and IPv6 without a zone (`fe80::1%eth0` names an interface, not an address).
 * As in ipaddr.js, the deprecated IPv4-compatible form `::a.b.c.d` is read as the mapped `::ffff:a.b.c.d`.
 */
import ipaddr from 'ipaddr.js';

export type AddressFamily = 4 | 6;

export interface Address {
  family: AddressFamily;
  value: bigint;
}

/** Every address from first to last, both included. */
export interface AddressRange {
  family: AddressFamily;
  first: bigint;
  last: bigint;
}

const BITS: Record<AddressFamily, bigint> = { 4: 32n, 6: 128n };

function valueOf(bytes: readonly number[]): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
}

const DECIMAL_OCTET = /^(0|[1-9]\d{0,2})$/;

/** Four decimal parts without leading zeros, each at most 255 (what isValidFourPartDecimal accepts), as a number; else null. */
function fourPartDecimal(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Null for anything that is not an IPv4 or IPv6 address (host names, typos): never throws. */
export function parseAddress(text: string): Address | null {
  // IPv4 by hand: allocation parses every node's and every allocation's address, and ipaddr.js's parser is most of that time.
  const v4 = fourPartDecimal(text);
  if (v4 !== null) return { family: 4, value: BigInt(v4) };
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return null;
  return { family: 6, value: valueOf(ipaddr.IPv6.parse(text).toByteArray()) };
}

/** `address/prefix`; the range is the whole block, whatever host bits the address has set. */
export function parseCidr(cidr: string): AddressRange | null {
  const slash = cidr.indexOf('/');
  const address = parseAddress(slash < 0 ? '' : cidr.slice(0, slash));
  const prefixText = cidr.slice(slash + 1);
  if (!address || !/^\d+$/.test(prefixText)) return null;
  const bits = BITS[address.family];
  const prefix = BigInt(prefixText);
  if (prefix > bits) return null;
  const hostBits = bits - prefix;
  const first = (address.value >> hostBits) << hostBits;
  return { family: address.family, first, last: first + (1n << hostBits) - 1n };
}

export function overlaps(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function contains(range: AddressRange, address: Address): boolean {
  return range.family === address.family && range.first <= address.value && address.value <= range.last;
}

/** Dotted quad, or RFC 5952 canonical IPv6 text: lowercase, no leading zeros, the longest zero run as `::`. */
export function formatAddress({ family, value }: Address): string {
  if (family === 4) {
    const n = Number(value);
    return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
  }
  const bytes = Array.from({ length: 16 }, (_, i) => Number((value >> BigInt((15 - i) * 8)) & 0xffn));
  return (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String();
}

/** Canonical text of an address, so differently spelled IPv6 addresses compare equal; other text as is. */
export function canonicalAddress(text: string): string {
  const address = parseAddress(text);
  return address ? formatAddress(address) : text;
}
