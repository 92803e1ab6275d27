/** Addresses as integers, so ranges of either family can be compared exactly. */
export interface AddressRange {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

export function parseAddress(text: string): { family: 4 | 6; value: bigint } | null {
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
  let tail: string[] = [];
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
  tail = halves.length === 2 ? groups(halves[1]!) : [];
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
