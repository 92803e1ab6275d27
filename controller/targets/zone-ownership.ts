/**
 * The ownership records underlay keeps in a DNS zone: for each record it wrote, a TXT record naming the
 * site, at a prefixed name of its own so that it never clashes with a CNAME at the record's name (a CNAME
 * allows no other data at its name). Per type, so that an A and an AAAA of one name are owned separately.
 * It also carries a short digest of the value underlay wrote, so a record edited by hand is told from one
 * Git changed: the plan says "edited outside underlay". The format is external-dns's registry idea, with
 * underlay's own prefix and keys: pure functions here, the reading and writing in the zone's provider.
 */
import { recordValueMark } from '../model/record-value-mark.js';

const PREFIX = '_underlay-owner';
const HERITAGE = 'heritage=underlay';

/** Where the ownership record of `name`'s `type` record lives: `_underlay-owner.a.n1.lab.example.net.`. */
export function ownershipRecordName(name: string, type: string): string {
  return `${PREFIX}.${type.toLowerCase()}.${name}`;
}

/** The record name and type an ownership record's name stands for, or null when it is none. */
export function ownedRecordOf(ownershipName: string): { name: string; type: string } | null {
  const m = /^_underlay-owner\.([a-z]+)\.(.+)$/.exec(ownershipName);
  return m ? { name: m[2]!, type: m[1]!.toUpperCase() } : null;
}

/** The TXT value: which site owns the record and, when given, the value it wrote. Site ids need no quoting. */
export function ownershipRecordValue(site: string, value?: string): string {
  return `${HERITAGE},site=${site}${value === undefined ? '' : `,value=${recordValueMark(value)}`}`;
}

/** The site a TXT value names as owner and the digest of the value it wrote, or null when it is no underlay ownership record. */
export function ownershipOf(txt: string): { site: string; mark?: string } | null {
  const [heritage, site, mark, ...rest] = txt.split(',');
  if (heritage !== HERITAGE || rest.length > 0 || !site?.startsWith('site=')) return null;
  const id = site.slice('site='.length);
  if (id === '') return null;
  if (mark === undefined) return { site: id };
  return mark.startsWith('value=') && mark.length > 'value='.length ? { site: id, mark: mark.slice('value='.length) } : null;
}

/** The site a TXT value names as owner, or null when it is not an underlay ownership record. */
export function ownerOf(txt: string): string | null {
  return ownershipOf(txt)?.site ?? null;
}

/** Whether `site` owns a record, given the TXT values found at its ownership name: one of them must name it. */
export function ownedBy(site: string, ownershipValues: readonly string[]): boolean {
  return ownershipValues.some((v) => ownerOf(v) === site);
}
