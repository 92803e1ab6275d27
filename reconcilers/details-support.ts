/**
 * Phrases the kinds' plan details share, so every kind shows a change the same way: attributes as short
 * lines, content as diff lines, clipped.
 */
import type { ChangeDetails } from './kind.js';

/** Content of created files is shown up to this many lines; the rest is summarised. */
export const MAX_CONTENT_LINES = 40;

export const NO_DETAILS: ChangeDetails = { attributes: [], content: [] };

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
export const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** `mode 0644, owner root:root` */
export function ownershipLine(r: Record<string, unknown>): string {
  return `mode ${str(r.mode) ?? '?'}, owner ${str(r.owner) ?? '?'}:${str(r.group) ?? '?'}`;
}

export function size(n: number | undefined): string {
  return n === undefined ? '? bytes' : `${n} byte${n === 1 ? '' : 's'}`;
}

export function clip(lines: string[]): string[] {
  if (lines.length <= MAX_CONTENT_LINES) return lines;
  return [...lines.slice(0, MAX_CONTENT_LINES), `... ${lines.length - MAX_CONTENT_LINES} more lines`];
}

export function addedLines(content: string): string[] {
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `+${l}`);
}
