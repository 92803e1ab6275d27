/**
 * How the controller reaches a node. Everything that touches a machine goes through this interface, so the
 * planner and reconcilers can be tested with a recording transport and run for real over SSH.
 */
export interface NodeEndpoint {
  /** The Node document's metadata.name; used in every error message. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Pinned host key, OpenSSH public-key format ("ssh-ed25519 AAAA... [comment]"), from Git. */
  hostKey: string;
  /** Optional jump host (bastion), itself pinned. */
  via?: NodeEndpoint;
}

export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Set when the command was killed by a signal (code is then 255), e.g. "SIGKILL". */
  signal?: string;
  /** Why code is 255 without the command choosing it (signal, or no exit status reported). */
  message?: string;
}

export interface ExecOptions {
  /** Bytes written to the remote command's standard input, then closed. */
  stdin?: Uint8Array | string;
  /** Abort the command after this many milliseconds. */
  timeoutMs?: number;
}

export interface Transport {
  /** Runs argv on the node. argv is quoted for the remote shell by the transport: never pass a shell string. */
  exec(node: NodeEndpoint, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * The fingerprint (`SHA256:...`) of the host key the node's connection in this run presented, having
   * matched its pin. A transport that cannot tell has no such method, and no secret goes through it.
   */
  verifiedHostKey?(node: NodeEndpoint): Promise<string>;
  /** Closes every connection. */
  close(): Promise<void>;
}
