/**
 * The framing every node-side script uses for what it prints back: records of length-prefixed fields,
 * `<bytes>:<value>`, separated by a space and ended by a line break:
 *
 *   5:F 8:hostname 11:evil\nA 1.2  -> one record, ['F', 'hostname', 'evil\nA 1.2']
 *
 * A value read on the node (a hostname, a user name from /etc/passwd, a service's status line, a file's
 * content) can hold line breaks, tabs or text that looks like another record; with its length said first it
 * is read as exactly that many bytes, so no observed value can forge another record or field. `${#v}` counts
 * bytes only in the C locale in some shells (bash counts characters otherwise): a script that frames text
 * from the node sets LC_ALL=C (the probe); the others frame only ASCII (hashes, markers, base64).
 */
import { UnderlayError } from '../controller/model/errors.js';

/** sh functions: `record TAG VALUE...` prints one record; `frame_begin`, `frame`, `frame_end` build one piecewise. */
export const FRAME_FUNCTIONS = `frame_begin() { printf '%s:%s' "\${#1}" "$1"; }
frame() { for v do printf ' %s:%s' "\${#v}" "$v"; done; }
frame_end() { printf '\\n'; }
record() { frame_begin "$1"; shift; frame "$@"; frame_end; }
`;

/** A node's script printed something that is not framed records: the node fails rather than being misread. */
export class FramedOutputError extends UnderlayError {
  constructor(message: string) {
    super({ code: 'NodeOutputInvalid', message, data: {} });
  }
}

const COLON = 0x3a;
const SPACE = 0x20;
const NEWLINE = 0x0a;
/** A length with more digits than this is not one a script printed (values are at most a few MB). */
const MAX_LENGTH_DIGITS = 10;

/** Splits framed output into records of fields (UTF-8 decoded). Anything that is not framing is an error. */
export function parseFramedRecords(output: Buffer): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  while (i < output.length) {
    let j = i;
    while (j < output.length && j - i <= MAX_LENGTH_DIGITS && (output[j] as number) >= 0x30 && (output[j] as number) <= 0x39) j++;
    if (j === i || output[j] !== COLON) throw new FramedOutputError(`not a framed field at byte ${i}: ${JSON.stringify(output.toString('utf8', i, i + 40))}`);
    const start = j + 1;
    const end = start + Number(output.toString('latin1', i, j));
    if (end >= output.length) throw new FramedOutputError(`output ends inside a field at byte ${i} (truncated)`);
    fields.push(output.toString('utf8', start, end));
    const separator = output[end];
    if (separator === NEWLINE) {
      records.push(fields);
      fields = [];
    } else if (separator !== SPACE) {
      throw new FramedOutputError(`field at byte ${i} is not followed by a space or a line break`);
    }
    i = end + 1;
  }
  if (fields.length > 0) throw new FramedOutputError('output ends inside a record (truncated)');
  return records;
}
