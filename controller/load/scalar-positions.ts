/**
 * Where a position inside a string value is written in the file. A template error names a line and column of
 * the template's text; for a template written inline (`content: |`) the reader needs that line in the YAML
 * file, which is not the field's line: block scalars start on the next line and lose their indentation,
 * folded ones join lines, quoted ones may be folded too.
 */
import { Scalar } from 'yaml';
import type { TextPosition } from '../model/source-location.js';

/** Where a stretch of the value is written, character for character. */
interface Segment {
  valueStart: number;
  sourceStart: number;
  length: number;
}

/**
 * The offset in `source` of `position` in the scalar's value, or undefined when it cannot be told for sure.
 * Each line of the scalar's source is found, trimmed, in the value, in order: YAML only ever changes what is
 * between them (indentation, line breaks folded into spaces). The first line that is not found verbatim (an
 * escape sequence) ends what is known.
 */
export function sourceOffsetIn(scalar: Scalar, source: string, position: TextPosition): number | undefined {
  const value = scalar.value;
  if (typeof value !== 'string' || !scalar.range) return undefined;
  const target = valueOffset(value, position);
  if (target === undefined) return undefined;
  const { segments, complete } = alignLines(scalar, source, value);
  let found: Segment | undefined;
  for (const segment of segments) {
    if (segment.valueStart > target) break;
    found = segment;
  }
  if (!found) return undefined;
  const within = target - found.valueStart;
  if (within <= found.length) return found.sourceStart + within;
  // Between two stretches is only what YAML folded away: the end of the line before is as near as it gets.
  // After the last stretch of an alignment that stopped early, the position may be anywhere further on.
  return found === segments[segments.length - 1] && !complete ? undefined : found.sourceStart + found.length;
}

function valueOffset(value: string, { line, column }: TextPosition): number | undefined {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = value.indexOf('\n', offset);
    if (next < 0) return undefined;
    offset = next + 1;
  }
  const end = value.indexOf('\n', offset);
  const lineLength = (end < 0 ? value.length : end) - offset;
  return column >= 1 && column - 1 <= lineLength ? offset + column - 1 : undefined;
}

function alignLines(scalar: Scalar, source: string, value: string): { segments: Segment[]; complete: boolean } {
  const [start, end] = scalar.range!;
  const block = scalar.type === Scalar.BLOCK_LITERAL || scalar.type === Scalar.BLOCK_FOLDED;
  const quoted = scalar.type === Scalar.QUOTE_DOUBLE || scalar.type === Scalar.QUOTE_SINGLE;
  // A block scalar's first line is its header (`|-`, `>2`); a quoted one's text is inside its quotes.
  const header = source.indexOf('\n', start);
  let from = block ? (header < 0 ? end : header + 1) : quoted ? start + 1 : start;
  const to = quoted ? end - 1 : end;
  const segments: Segment[] = [];
  let cursor = 0;
  while (from < to) {
    const newline = source.indexOf('\n', from);
    const lineEnd = newline < 0 ? to : Math.min(to, newline);
    const line = source.slice(from, lineEnd);
    const content = line.trim();
    if (content !== '') {
      const at = value.indexOf(content, cursor);
      if (at < 0) return { segments, complete: false };
      segments.push({ valueStart: at, sourceStart: from + line.indexOf(content), length: content.length });
      cursor = at + content.length;
    }
    from = lineEnd + 1;
  }
  return { segments, complete: true };
}
