/**
 * Running fixed scripts on a node. Values never become shell text: a script is a constant and every value
 * reaches it as a positional parameter (`sh -c SCRIPT underlay VALUE...`) or on stdin.
 */
import { UnderlayError } from '../controller/model/errors.js';
import type { ExecResult } from '../controller/transport/transport.js';
import type { NodeApplyContext } from './kind-effects.js';

/** $0 of every script, so `ps` on a node shows who runs it. */
export const SCRIPT_NAME = 'underlay';

export const DEFAULT_TIMEOUT_MS = 60_000;

/** Why a node-side step failed: ApplyFailed, or the node's record refused the write (model/errors.ts). */
export type ApplyErrorCode = 'ApplyFailed' | 'LeaseLost' | 'ManagedRecordCorrupt' | 'NodeIdentityMismatch';

/** A node-side step failed; the message names the node and carries the tail of what the command printed. */
export class ApplyError extends UnderlayError<{ node: string; result?: ExecResult }> {
  declare readonly code: ApplyErrorCode;

  constructor(node: string, message: string, result?: ExecResult, code: ApplyErrorCode = 'ApplyFailed') {
    super({ code, message: `node ${node}: ${message}`, data: { node, ...(result ? { result } : {}) } });
  }
}

/** What a script needs of a node: the transport and the endpoint (an apply's context is one). */
export type NodeTarget = Pick<NodeApplyContext, 'transport' | 'node'>;

export function runScript(
  ctx: NodeTarget,
  script: string,
  args: readonly string[],
  options: { stdin?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return ctx.transport.exec(ctx.node, ['sh', '-c', script, SCRIPT_NAME, ...args], {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
}

/** Like runScript, but a non-zero exit is an ApplyError saying what was attempted. */
export async function runScriptOk(
  ctx: NodeApplyContext,
  script: string,
  args: readonly string[],
  { what, ...options }: { what: string; stdin?: string | Uint8Array; timeoutMs?: number },
): Promise<ExecResult> {
  const result = await runScript(ctx, script, args, options);
  if (result.code !== 0) throw new ApplyError(ctx.node.name, `${what} failed (exit ${result.code}): ${outputTail(result)}`, result);
  return result;
}

/** The last lines of stderr (else stdout): enough to see why, bounded so a noisy command cannot flood a journal. */
export function outputTail(result: ExecResult, lines = 20): string {
  const text = (result.stderr.length > 0 ? result.stderr : result.stdout).toString('utf8').trimEnd();
  const tail = text.split('\n').slice(-lines).join('\n');
  return tail === '' ? (result.message ?? '(no output)') : tail;
}

/** Values travel as argv or stdin lines; a tab or line break would break the line-oriented probe and records. */
export function assertPlainValue(node: string, what: string, value: string): void {
  if (/[\t\n\r\0]/.test(value)) throw new ApplyError(node, `${what} ${JSON.stringify(value)} contains a tab, line break or NUL`);
}
