/**
 * The ownership records underlay keeps in a DNS zone: for each record it wrote, a TXT record naming the
 * site, at a prefixed name of its own so that it never clashes with a CNAME at the record's name (a CNAME
 * allows no other data at its name). Per type, so that an A and an AAAA of one name are owned separately.
 * The format is external-dns's registry idea, with underlay's own prefix and key: pure functions here, the
 * reading and writing in the zone's provider (zone-provider.ts).
 */

const PREFIX = '_underlay-owner';
const HERITAGE = 'heritage=underlay';

/** Where the ownership record of `name`'s `type` record lives: `_underlay-owner.a.n1.lab.example.net.`. */
export function ownershipRecordName(name: string, type: string): string {
  return `${PREFIX}.${type.toLowerCase()}.${name}`;
}

/** The TXT value: which site owns the record. Site ids are DNS-label-like names, so they need no quoting. */
export function ownershipRecordValue(site: string): string {
  return `${HERITAGE},site=${site}`;
}

/** The site a TXT value names as owner, or null when it is not an underlay ownership record. */
export function ownerOf(value: string): string | null {
  const [heritage, site, ...rest] = value.split(',');
  if (heritage !== HERITAGE || rest.length > 0 || !site?.startsWith('site=')) return null;
  const id = site.slice('site='.length);
  return id === '' ? null : id;
}

/** Whether `site` owns a record, given the TXT values found at its ownership name: one of them must name it. */
export function ownedBy(site: string, ownershipValues: readonly string[]): boolean {
  return ownershipValues.some((v) => ownerOf(v) === site);
}
