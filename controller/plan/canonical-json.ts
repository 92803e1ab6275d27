/**
 * Canonical JSON and hashing for plans: keys sorted, no whitespace, so the same value always gives the same
 * bytes (and hash) whatever order its producer built it in. Hashing is pure, so the core may use it.
 */
import { hash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

const stringify = configure({ deterministic: true, bigint: false, circularValue: TypeError });

/**
 * Compact canonical JSON, hand-rolled because planning hashes every change of a 200,000-resource site and
 * the general-purpose stringifier dominated the profile. Same bytes as safe-stable-stringify (a test
 * holds them together): keys in code-unit order, undefined members dropped, undefined items as null.
 */
function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

function compact(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (Array.isArray(value)) {
    // Lists of strings (dependsOn, argv) are most lists in a plan; for them the native writer is the same bytes.
    let strings = true;
    for (let i = 0; i < value.length && strings; i++) strings = typeof value[i] === 'string';
    if (strings) return JSON.stringify(value);
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (compact(value[i]) ?? 'null');
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!isSorted(keys)) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = compact(record[key]);
    if (item === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${item}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * Whether JSON.stringify writes exactly compact's bytes for this value: plain objects and arrays only (no
 * toJSON, boxed primitives, bigints, functions or symbols), every object's keys already in code-unit order.
 * Planning builds its changes that way, and the native writer is about twice as fast.
 */
function nativeIsCanonical(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) if (!nativeIsCanonical(value[i])) return false;
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if ((i > 0 && keys[i - 1]! > key) || key === 'toJSON' || !nativeIsCanonical(record[key])) return false;
  }
  return true;
}

export function canonicalJson(value: unknown, indent?: number): string {
  const out = indent === undefined ? (nativeIsCanonical(value) ? JSON.stringify(value) : compact(value)) : stringify(value, null, indent);
  if (out === undefined) throw new TypeError('value has no JSON representation');
  return out;
}

export function sha256Hex(text: string | Uint8Array): string {
  // One-shot: a Hash object per call cost more than hashing the short inputs planning hashes by the hundred thousand.
  return hash('sha256', text, 'hex');
}

/** First characters of a hash, enough to tell two versions apart in a reason or a table. */
export function shortHash(hash: string | undefined): string {
  return hash ? hash.slice(0, 12) : '(none)';
}
