/**
 * IP addresses as integers, so ranges of either family can be compared exactly: the format's one reading
 * of address text, used by load's checks and by resolve's allocation alike (they must never disagree).
 */
export type AddressFamily = 4 | 6;

export interface Address {
  family: AddressFamily;
  value: bigint;
}

export interface AddressRange {
  family: AddressFamily;
  first: bigint;
  last: bigint;
}

/** Null for anything that is not an IPv4 or IPv6 address (host names, typos): never throws. */
export function parseAddress(text: string): Address | null {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === null ? null : { family: 6, value };
  }
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
}

function parseIpv6(text: string): bigint | null {
  let head = text;
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseAddress(maybeV4);
    if (!v4 || v4.family !== 4) return null;
    head = `${text.slice(0, lastColon + 1)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

export function parseCidr(cidr: string): AddressRange | null {
  const [address, prefixText] = cidr.split('/');
  const parsed = parseAddress(address ?? '');
  if (!parsed || prefixText === undefined || !/^\d+$/.test(prefixText)) return null;
  const bits = parsed.family === 4 ? 32n : 128n;
  const prefix = BigInt(prefixText);
  if (prefix > bits) return null;
  const hostBits = bits - prefix;
  const first = (parsed.value >> hostBits) << hostBits;
  return { family: parsed.family, first, last: first + (1n << hostBits) - 1n };
}

export function overlaps(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function contains(range: AddressRange, address: Address): boolean {
  return range.family === address.family && range.first <= address.value && address.value <= range.last;
}

/** Dotted quad, or RFC 5952 canonical IPv6 text: lowercase, no leading zeros, the longest zero run as `::`. */
export function formatAddress({ family, value }: Address): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical text of an address, so differently spelled IPv6 addresses compare equal; other text as is. */
export function canonicalAddress(text: string): string {
  const address = parseAddress(text);
  return address ? formatAddress(address) : text;
}
