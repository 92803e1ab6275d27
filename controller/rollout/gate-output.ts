/**
 * A gate's output as it reaches events, status and alerts: at most 4 KiB of UTF-8, cut at a character, with
 * how much was cut. A failing check can print megabytes; the start says what went wrong.
 */
export const GATE_OUTPUT_LIMIT = 4096;

export function capGateOutput(output: string): string {
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= GATE_OUTPUT_LIMIT) return output;
  // Back off to the start of a character, so the cut never leaves half of one.
  let end = GATE_OUTPUT_LIMIT;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}… (${bytes.length - end} more bytes)`;
}
