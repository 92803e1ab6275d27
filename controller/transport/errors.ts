/**
 * Transport failures. Callers branch on `code` (stable across releases), never on message text or class
 * identity, because errors may cross worker or process boundaries where `instanceof` no longer holds.
 */
export type TransportErrorCode =
  | 'HOST_KEY_MISMATCH'
  | 'HOST_KEY_MISSING'
  | 'HOST_KEY_INVALID'
  | 'UNREACHABLE'
  | 'AUTH_FAILED'
  | 'COMMAND_TIMEOUT'
  | 'CONNECTION_LOST';

export abstract class TransportError extends Error {
  abstract readonly code: TransportErrorCode;
  /** The Node document's name, so an operator can find the failing machine in Git. */
  readonly node: string;

  constructor(node: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.node = node;
    this.name = new.target.name;
  }
}

/** The server presented a key other than the one pinned in Git: possible interception, so nothing was sent. */
export class HostKeyMismatch extends TransportError {
  readonly code = 'HOST_KEY_MISMATCH' as const;
  constructor(
    node: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(
      node,
      `host key mismatch for node ${node}: expected ${expected}, server presented ${presented}; ` +
        'connection refused before authentication',
    );
  }
}

/** No trust-on-first-use: a node without a pinned key is never contacted (use `underlay nodes keyscan`). */
export class HostKeyMissing extends TransportError {
  readonly code = 'HOST_KEY_MISSING' as const;
  constructor(node: string) {
    super(node, `node ${node} has no pinned host key; refusing to connect (pin one with "underlay nodes keyscan")`);
  }
}

/** The pinned key in Git cannot be parsed; distinct from a mismatch because the fix is in the repository. */
export class HostKeyInvalid extends TransportError {
  readonly code = 'HOST_KEY_INVALID' as const;
  constructor(node: string, reason: string) {
    super(node, `node ${node} has an invalid pinned host key: ${reason}`);
  }
}

export class Unreachable extends TransportError {
  readonly code = 'UNREACHABLE' as const;
  constructor(
    node: string,
    readonly target: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(node, `node ${node} (${target}) unreachable after ${attempts} attempt(s): ${describe(cause)}`, { cause });
  }
}

export class AuthFailed extends TransportError {
  readonly code = 'AUTH_FAILED' as const;
  constructor(
    node: string,
    readonly user: string,
    cause?: unknown,
  ) {
    super(node, `authentication as ${user} failed on node ${node}${cause === undefined ? '' : `: ${describe(cause)}`}`, {
      cause,
    });
  }
}

/**
 * The command may still be running remotely: the server is asked to kill it, but not every sshd honours that.
 * Only the program is named: the arguments of an internal `sh -c` are a long script that helps nobody.
 */
export class CommandTimeout extends TransportError {
  readonly code = 'COMMAND_TIMEOUT' as const;
  readonly program: string;
  constructor(
    node: string,
    argv: readonly string[],
    readonly timeoutMs: number,
  ) {
    const program = argv[0] ?? '';
    super(node, `command ${program} on node ${node} timed out after ${seconds(timeoutMs)}`);
    this.program = program;
  }
}

/**
 * The connection dropped while a command was running. It is not retried because the command may already
 * have taken effect; the next exec reconnects. `reason` says how it was noticed (no answer to keepalive
 * probes for so long, the peer closed it, a socket error), never what was running.
 */
export class ConnectionLost extends TransportError {
  readonly code = 'CONNECTION_LOST' as const;
  constructor(
    node: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(node, `connection lost to ${node} (${reason})`, { cause });
  }
}

/** 10000 -> "10 s", 2500 -> "2.5 s": durations as an operator reads them. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

export function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
