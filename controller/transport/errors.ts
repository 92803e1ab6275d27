/**
 * Transport failures, as UnderlayErrors (model/errors.ts): callers branch on `code`, never on message text
 * or class identity. Every one names the Node document in `data.node`, so an operator can find the failing
 * machine in Git.
 */
import { describeError, UnderlayError, type ErrorCode } from '../model/errors.js';

export type TransportErrorCode =
  | 'HostKeyMismatch'
  | 'HostKeyMissing'
  | 'HostKeyInvalid'
  | 'Unreachable'
  | 'AuthFailed'
  | 'CommandTimeout'
  | 'ConnectionLost'
  | 'SessionRefused';

export abstract class TransportError<D extends object = object> extends UnderlayError<D & { node: string }> {
  declare readonly code: TransportErrorCode & ErrorCode;

  constructor(code: TransportErrorCode, message: string, data: D & { node: string }, cause?: unknown) {
    super({ code, message, data, cause });
  }
}

/** The server presented a key other than the one pinned in Git: possible interception, so nothing was sent. */
export class HostKeyMismatch extends TransportError<{ expected: string; presented: string }> {
  constructor(node: string, expected: string, presented: string) {
    super(
      'HostKeyMismatch',
      `host key mismatch for node ${node}: expected ${expected}, server presented ${presented}; connection refused before authentication`,
      { node, expected, presented },
    );
  }
}

/** No trust-on-first-use: a node without a pinned key is never contacted (use `underlay nodes keyscan`). */
export class HostKeyMissing extends TransportError {
  constructor(node: string) {
    super('HostKeyMissing', `node ${node} has no pinned host key; refusing to connect (pin one with "underlay nodes keyscan")`, { node });
  }
}

/** The pinned key in Git cannot be parsed; distinct from a mismatch because the fix is in the repository. */
export class HostKeyInvalid extends TransportError {
  constructor(node: string, reason: string) {
    super('HostKeyInvalid', `node ${node} has an invalid pinned host key: ${reason}`, { node });
  }
}

export class Unreachable extends TransportError<{ target: string; attempts: number }> {
  constructor(node: string, target: string, attempts: number, cause: unknown) {
    super('Unreachable', `node ${node} (${target}) unreachable after ${attempts} attempt(s): ${describeError(cause)}`, { node, target, attempts }, cause);
  }
}

export class AuthFailed extends TransportError<{ user: string }> {
  constructor(node: string, user: string, cause?: unknown) {
    super('AuthFailed', `authentication as ${user} failed on node ${node}${cause === undefined ? '' : `: ${describeError(cause)}`}`, { node, user }, cause);
  }
}

/**
 * The command may still be running remotely: the server is asked to kill it, but not every sshd honours that.
 * Only the program is named: the arguments of an internal `sh -c` are a long script that helps nobody.
 */
export class CommandTimeout extends TransportError<{ program: string; timeoutMs: number }> {
  constructor(node: string, argv: readonly string[], timeoutMs: number) {
    const program = argv[0] ?? '';
    super('CommandTimeout', `command ${program} on node ${node} timed out after ${seconds(timeoutMs)}`, { node, program, timeoutMs });
  }
}

/**
 * The connection dropped while a command was running. It is not retried because the command may already
 * have taken effect; the next exec reconnects. `reason` says how it was noticed (no answer to keepalive
 * probes for so long, the peer closed it, a socket error), never what was running.
 */
export class ConnectionLost extends TransportError<{ reason: string }> {
  constructor(node: string, reason: string, cause?: unknown) {
    super('ConnectionLost', `connection lost to ${node} (${reason})`, { node, reason }, cause);
  }
}

/** The server kept refusing a session channel on a working connection (its MaxSessions, or a policy). */
export class SessionRefused extends TransportError {
  constructor(node: string, cause?: unknown) {
    super('SessionRefused', `node ${node} refused to open a session channel`, { node }, cause);
  }
}

/** 10000 -> "10 s", 2500 -> "2.5 s": durations as an operator reads them. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
