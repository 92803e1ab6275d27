/**
 * The short digest of a DNS record's value (its presentation form) that the record's ownership record carries
 * (controller/targets/zone-ownership.ts): enough to notice an edit, nothing to learn from. The planner
 * compares it too: a value Git wants that is the one underlay wrote is drift to put back, not Git's change.
 */
import { sha256 } from './sha256.js';

export const recordValueMark = (value: string): string => sha256(value).slice(0, 16);
