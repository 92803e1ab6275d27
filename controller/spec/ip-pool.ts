/**
 * What an IPPool hands out, and every reason it cannot: load reports the problems at the pool's fields,
 * resolve allocates from the layout. One function for both, so a pool load accepts never surprises resolve.
 */
import { contains, parseAddress, parseCidr, type AddressFamily, type AddressRange } from '../model/ip.js';
import type { IPPoolDoc } from './schema.js';
import { durationSeconds } from './duration.js';

export interface PoolLayout {
  family: AddressFamily;
  /** First and last allocatable address. */
  first: bigint;
  last: bigint;
  /** The gateway and the reserved addresses: never handed out. */
  reserved: bigint[];
}

export interface PoolProblem {
  /** Field path inside the pool's `spec`. */
  path: (string | number)[];
  code: 'SchemaViolation' | 'PoolAddressFamilyMismatch' | 'PoolAddressOutsideCidr' | 'PoolRangeReversed';
  message: string;
}

const familyName = (family: AddressFamily): string => `IPv${family}`;

/** The layout, or null with at least one problem. */
export function poolLayout(pool: IPPoolDoc['spec']): { layout: PoolLayout | null; problems: PoolProblem[] } {
  const cidr = parseCidr(pool.cidr);
  if (!cidr) return { layout: null, problems: [{ path: ['cidr'], code: 'SchemaViolation', message: `"${pool.cidr}" is not a CIDR block` }] };
  const problems: PoolProblem[] = [];
  /** An address of the pool's own family inside its CIDR, or null (and a problem). */
  const member = (text: string, path: (string | number)[], what: string): bigint | null => {
    const address = parseAddress(text);
    if (!address) {
      problems.push({ path, code: 'SchemaViolation', message: `${what} "${text}" is not an IP address` });
      return null;
    }
    if (address.family !== cidr.family) {
      problems.push({ path, code: 'PoolAddressFamilyMismatch', message: `${what} ${text} is an ${familyName(address.family)} address, but the pool's CIDR ${pool.cidr} is ${familyName(cidr.family)}` });
      return null;
    }
    if (!contains(cidr, address)) {
      problems.push({ path, code: 'PoolAddressOutsideCidr', message: `${what} ${text} is outside the pool's CIDR ${pool.cidr}` });
      return null;
    }
    return address.value;
  };

  let { first, last } = defaultRange(cidr);
  if (pool.range) {
    const start = member(pool.range.start, ['range', 'start'], 'range start');
    const end = member(pool.range.end, ['range', 'end'], 'range end');
    if (start !== null && end !== null && start > end) {
      problems.push({ path: ['range'], code: 'PoolRangeReversed', message: `range start ${pool.range.start} comes after range end ${pool.range.end}: the range would be empty` });
    }
    first = start ?? first;
    last = end ?? last;
  }
  const reserved: bigint[] = [];
  if (pool.gateway !== undefined) {
    const gateway = member(pool.gateway, ['gateway'], 'gateway');
    if (gateway !== null) reserved.push(gateway);
  }
  pool.reserved.forEach((text, i) => {
    const address = member(text, ['reserved', i], 'reserved address');
    if (address !== null) reserved.push(address);
  });
  if (problems.length > 0) return { layout: null, problems };
  return { layout: { family: cidr.family, first, last, reserved }, problems };
}

/** The whole CIDR, less network and broadcast addresses: they only exist for IPv4 subnets with room for hosts. */
function defaultRange(cidr: AddressRange): { first: bigint; last: bigint } {
  const edges = cidr.family === 4 && cidr.last - cidr.first >= 3n ? 1n : 0n;
  return { first: cidr.first + edges, last: cidr.last - edges };
}

/** A `Duration` (duration.ts) in milliseconds. */
export function durationMs(duration: string): number {
  return durationSeconds(duration) * 1000;
}

/** The prefix length of the pool's CIDR block: what an address of the pool is brought up with on an interface. */
export function poolPrefixLength(pool: IPPoolDoc['spec']): number {
  return Number(pool.cidr.slice(pool.cidr.indexOf('/') + 1));
}
