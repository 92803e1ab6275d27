/**
 * A list of target names written short, for a reader: runs of numbered names that follow each other
 * ("node01", "node02", ... "node40") become "node01…node40", so a change on forty nodes takes one line. Pure.
 */
import { byCodeUnit } from '../model/order.js';

interface Numbered {
  name: string;
  stem: string;
  digits: string;
  suffix: string;
}

/** A name's last run of digits, with what comes before and after it: two names may join a run only when both match. */
function numbered(name: string): Numbered | null {
  const m = /^(.*?)(\d+)(\D*)$/.exec(name);
  return m ? { name, stem: m[1]!, digits: m[2]!, suffix: m[3]! } : null;
}

/** b directly follows a: same stem, suffix and width (node09, node10; n9, n10), the next number. */
function follows(a: Numbered, b: Numbered): boolean {
  if (a.stem !== b.stem || a.suffix !== b.suffix) return false;
  const sameWidth = a.digits.length === b.digits.length;
  const unpadded = !a.digits.startsWith('0') && !b.digits.startsWith('0');
  return (sameWidth || unpadded) && BigInt(b.digits) === BigInt(a.digits) + 1n;
}

/** Sorted by stem, then by number: the order in which runs can be seen (n9 before n10). */
export function byStemThenNumber(a: string, b: string): number {
  const na = numbered(a);
  const nb = numbered(b);
  if (!na || !nb || na.stem !== nb.stem || na.suffix !== nb.suffix) return byCodeUnit(a, b);
  const d = BigInt(na.digits) - BigInt(nb.digits);
  return d < 0n ? -1 : d > 0n ? 1 : byCodeUnit(a, b);
}

export interface NameRun {
  first: string;
  last: string;
  count: number;
}

/** The names, deduplicated, in reading order, as runs of numbered names that follow each other. */
export function nameRuns(names: readonly string[]): NameRun[] {
  const runs: NameRun[] = [];
  let previous: Numbered | null = null;
  for (const name of [...new Set(names)].sort(byStemThenNumber)) {
    const current = numbered(name);
    const last = runs.at(-1);
    if (last && previous && current && follows(previous, current)) {
      last.last = name;
      last.count++;
    } else runs.push({ first: name, last: name, count: 1 });
    previous = current;
  }
  return runs;
}

/** "node01…node40, node42, lb1": two names in a row are written both, three or more as a range. */
export function nameRanges(names: readonly string[]): string {
  const parts: string[] = [];
  for (const { first, last, count } of nameRuns(names)) {
    if (count === 1) parts.push(first);
    else if (count === 2) parts.push(first, last);
    else parts.push(`${first}…${last}`);
  }
  return parts.join(', ');
}
