/**
 * Canonical JSON, the one writer of it: keys sorted by code unit (as a comparator-less sort orders them),
 * undefined members dropped and undefined items written as null, so the same value always gives the same
 * bytes (and hash) whatever order its producer built it in. Compact for hashing; indented for files people
 * read (plans, inventories, status), in JSON.stringify's layout. Objects are taken by their own keys, never
 * by toJSON. Pure, so the core may use it.
 */
import { Sha256Stream } from './sha256.js';

type Write = (text: string) => void;

/** One writing of a value, made once per call: where its text goes, and its layout. */
interface Writer {
  write: Write;
  /** '' for compact text. */
  indent: string;
  /** '' for compact text, else a line break: what starts each member's line before its indentation. */
  newline: string;
  colon: string;
}

function writer(write: Write, indent: string): Writer {
  return { write, indent, newline: indent === '' ? '' : '\n', colon: indent === '' ? ':' : ': ' };
}

/**
 * Whether JSON.stringify writes exactly the canonical bytes for this value: plain objects and arrays only (no
 * toJSON, boxed primitives, bigints, functions or symbols), every object's keys already in code-unit order.
 * Planning builds its values that way, and the native writer is about twice as fast as any written in JS.
 */
function nativeIsCanonical(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      if (value === null) return true;
      return Array.isArray(value) ? arrayIsCanonical(value) : recordIsCanonical(value);
    default:
      return false;
  }
}

function arrayIsCanonical(value: readonly unknown[]): boolean {
  if (Object.getPrototypeOf(value) !== Array.prototype) return false;
  for (let i = 0; i < value.length; i++) if (!nativeIsCanonical(value[i])) return false;
  return true;
}

function recordIsCanonical(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if ((i > 0 && keys[i - 1]! > key) || key === 'toJSON' || !nativeIsCanonical(record[key])) return false;
  }
  return true;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** Undefined, functions, symbols and bigints have no JSON text: dropped as members, null as items. */
function hasJson(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || type === 'object';
}

/**
 * Writes a value that hasJson. `prefix` is the indentation of the value's own line. The top `split` levels are
 * written piece by piece (never as one native string), so a hash of a huge value never holds all of its text
 * at once.
 */
function writeValue(value: unknown, out: Writer, prefix: string, split: number): void {
  if (typeof value !== 'object' || value === null) {
    out.write(JSON.stringify(value));
    return;
  }
  if (split <= 0 && nativeIsCanonical(value)) {
    const text = JSON.stringify(value, null, out.indent);
    // JSON text has no raw line breaks inside strings, so each one starts a line of the nested value.
    out.write(out.indent === '' || prefix === '' ? text : text.replaceAll('\n', `\n${prefix}`));
    return;
  }
  if (Array.isArray(value)) writeArray(value, out, prefix, split);
  else writeRecord(value as Record<string, unknown>, out, prefix, split);
}

function writeArray(value: readonly unknown[], out: Writer, prefix: string, split: number): void {
  if (value.length === 0) {
    out.write('[]');
    return;
  }
  const inner = `${prefix}${out.indent}`;
  const open = `${out.newline}${inner}`;
  out.write('[');
  for (let i = 0; i < value.length; i++) {
    out.write(i === 0 ? open : `,${open}`);
    const item: unknown = value[i];
    if (hasJson(item)) writeValue(item, out, inner, split - 1);
    else out.write('null');
  }
  out.write(`${out.newline}${prefix}]`);
}

function writeRecord(record: Record<string, unknown>, out: Writer, prefix: string, split: number): void {
  const keys = Object.keys(record);
  if (!isSorted(keys)) keys.sort();
  const inner = `${prefix}${out.indent}`;
  const open = `${out.newline}${inner}`;
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (!hasJson(item)) continue;
    out.write(`${first ? `{${open}` : `,${open}`}${JSON.stringify(key)}${out.colon}`);
    first = false;
    writeValue(item, out, inner, split - 1);
  }
  out.write(first ? '{}' : `${out.newline}${prefix}}`);
}

/** Compact canonical JSON, or indented by `indent` spaces. Throws on a value with no JSON text (undefined). */
export function canonicalJson(value: unknown, indent = 0): string {
  if (!hasJson(value)) throw new TypeError('value has no JSON representation');
  let out = '';
  writeValue(value, writer((text) => (out += text), ' '.repeat(indent)), '', 0);
  return out;
}

/**
 * sha256 of canonicalJson(value), its top `streamDepth` levels streamed into the hash: a first-apply plan of a
 * large site is tens of megabytes of JSON, and hashing it piecewise avoids building that string.
 */
export function canonicalSha256(value: unknown, streamDepth = 2): string {
  if (!hasJson(value)) throw new TypeError('value has no JSON representation');
  const stream = new Sha256Stream();
  writeValue(value, writer((text) => stream.update(text), ''), '', streamDepth);
  return stream.digest();
}
