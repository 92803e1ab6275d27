/**
 * One error model, from the transport to status (DESIGN.md): every error underlay throws on purpose is an
 * `UnderlayError` with a stable CamelCase `code` from ERROR_CODES, the `kind` that code has there, and a
 * `data` payload for callers that need the particulars (both fingerprints of a refused host key). Changes,
 * the journal and status carry `{code, message}` (an ErrorRecord), so nothing downstream parses messages.
 *
 * The kind says what the reconcile runtime does next (after Flux's Stalling / Waiting / generic errors):
 *
 * | kind        | what it means                                        | runtime step result                 |
 * |-------------|------------------------------------------------------|-------------------------------------|
 * | `user`      | the repository, a flag or the controller's config is | stall: a Stalled condition, no retry |
 * |             | wrong; only a person changing it helps               | until the input changes             |
 * | `transient` | the world may fix itself (a fetch that broke)        | wait: retry after a delay           |
 * | `node`      | one target (a node, a Git server) refused or faulted | the target fails, the others go on; |
 * |             |                                                      | the next reconcile backs off        |
 * | `internal`  | a bug in underlay (or a caller breaking a contract)  | fail: back off, report it           |
 *
 * Callers branch on `code`, never on the class or the message: errors may cross worker or process
 * boundaries where `instanceof` no longer holds, which is why `isUnderlayError` looks at the fields.
 */
export type ErrorKind = 'user' | 'transient' | 'node' | 'internal';

export interface ErrorCodeInfo {
  kind: ErrorKind;
  description: string;
}

const USER = { kind: 'user' } as const;
const TRANSIENT = { kind: 'transient' } as const;
const NODE = { kind: 'node' } as const;
const INTERNAL = { kind: 'internal' } as const;

/** Every error code there is. `UnderlayError.code` is typed from it, so a code cannot be thrown unlisted. */
export const ERROR_CODES = {
  // The SSH transport to nodes (controller/transport).
  HostKeyMismatch: { ...NODE, description: 'a node or Git server presented a host key other than the one pinned; nothing was sent' },
  HostKeyMissing: { ...USER, description: 'a node has no pinned host key, so it is never contacted (no trust on first use)' },
  HostKeyInvalid: { ...USER, description: "a node's pinned host key cannot be parsed" },
  Unreachable: { ...NODE, description: 'a node could not be connected to after the retries' },
  AuthFailed: { ...NODE, description: "a node or Git server refused the controller's key" },
  CommandTimeout: { ...NODE, description: 'a command on a node ran past its timeout (it may still be running there)' },
  ConnectionLost: { ...NODE, description: 'the connection to a node dropped while a command ran; not retried, it may have taken effect' },
  SessionRefused: { ...NODE, description: 'a node kept refusing to open a session channel on a working connection' },
  SshAgentMissing: { ...USER, description: 'ssh-agent authentication was asked for, but no agent socket is given or set' },
  KeyscanFailed: { ...NODE, description: 'no host key could be read from an address (nothing listening, not SSH, key exchange failed)' },
  // Reading a revision (controller/source).
  RepoNotFound: { ...USER, description: 'the repository does not exist where it was said to be' },
  RefNotFound: { ...USER, description: 'the branch, tag or commit asked for is not in the repository' },
  FetchFailed: { ...TRANSIENT, description: 'fetching from the remote broke off; worth retrying as it is' },
  NotARepository: { ...USER, description: 'the path given as the repository is not a Git repository' },
  ReadFailed: { ...TRANSIENT, description: 'an object of the revision could not be read (the worktree changed under the read, git failed)' },
  InvalidRepoUrl: { ...USER, description: 'the repository URL is not one underlay can fetch from' },
  HostKeyUnknown: { ...USER, description: "a Git server's host key is not pinned in the controller's known_hosts" },
  HostKeyRevoked: { ...USER, description: "a Git server presented a host key the controller's known_hosts marks revoked" },
  CredentialsMissing: { ...USER, description: 'a Git server needs credentials the secret store does not hold' },
  CredentialsInvalid: { ...USER, description: 'the credentials for a Git server in the secret store cannot be used' },
  // The controller's secret store (controller/secrets).
  InvalidSecretName: { ...USER, description: 'a secret is referenced by a name that is not a plain name' },
  SecretNotFound: { ...USER, description: 'the secret store holds no secret of that name' },
  SecretTooOpen: { ...USER, description: 'a secret file is readable by others, so it is refused' },
  DigestKeyInvalid: { ...USER, description: "a site's digest key in the secret store is not 32 bytes" },
  SecretNodeUnpinned: { ...USER, description: 'a secret was to go to a node with no usable pinned host key; nothing was sent' },
  SecretNodeUnverified: { ...NODE, description: "a secret was to go to a node whose connection in this run did not present its pinned host key (or whose transport cannot tell); nothing was sent" },
  // DNS zones through RFC 2136 and TSIG (controller/services/dns).
  DnsUpdateRejected: { ...NODE, description: 'a DNS server answered an UPDATE with an RCODE other than NOERROR (REFUSED, NOTAUTH, a failed prerequisite)' },
  DnsTsigFailed: { ...USER, description: "TSIG failed: the DNS server reported BADKEY, BADSIG or BADTIME, or its answer did not verify with the zone's key" },
  DnsZoneReadFailed: { ...NODE, description: 'a zone transfer did not complete and verify; it is never taken for an empty or partial zone' },
  DnsQueryFailed: { ...NODE, description: 'a DNS server answered a query with an error RCODE' },
  DnsTimeout: { ...NODE, description: 'a DNS server gave no complete answer in time; an update may or may not have been applied' },
  DnsUnreachable: { ...NODE, description: 'a DNS server could not be connected to' },
  DnsResponseInvalid: { ...NODE, description: "a DNS server's answer is not an answer to the message sent (another id, not a response)" },
  DnsMessageMalformed: { ...NODE, description: 'a DNS message could not be decoded (truncated, bad names, bytes after its last record)' },
  DnsNameOutsideZone: { ...USER, description: "a DNS change names a record outside the zone it is sent to" },
  DnsChangeGroupTooLarge: { ...USER, description: 'changes that must go in one UPDATE message exceed what one message may hold' },
  DnsRecordInvalid: { ...USER, description: 'a DNS record cannot be encoded as given (a TXT string over 255 bytes)' },
  DnsRecordChanged: { ...NODE, description: "a DNS record changed in its zone since it was planned (an update's prerequisite failed): nothing of it was written; plan again" },
  ZoneNotObserved: { ...INTERNAL, description: 'a change was handed to a DNS zone this apply did not observe first, so where and how to reach it is unknown' },
  TsigKeyInvalid: { ...USER, description: 'a TSIG key in the secret store is not a usable hmac-sha256 key file' },
  SecretExists: { ...USER, description: 'a new secret (a CA key) was to be stored under a name the store already holds; it is never overwritten' },
  // The certificate authority (controller/pki): a node's request that cannot be read or verified, and the CA itself.
  CsrMalformed: { ...NODE, description: 'a certificate signing request from a node is not a valid PKCS#10 request' },
  CsrUnsupportedSignatureAlgorithm: { ...NODE, description: "a node's certificate signing request is signed with an algorithm the CA does not accept" },
  CsrBadSignature: { ...NODE, description: "a node's certificate signing request does not verify with its own key: it was changed after it was signed" },
  CaCertificateInvalid: { ...USER, description: "a CertificateAuthority's certificate is not a usable X.509 CA certificate" },
  CaKeyMismatch: { ...USER, description: "the CA key in the secret store is not the key of the CA's certificate" },
  CertificateRefused: { ...NODE, description: "a node's certificate signing request asks for something the CA's policy does not give that node (an extra SAN, another node's address, CA:TRUE); nothing was signed" },
  SerialTaken: { ...INTERNAL, description: 'a certificate serial the CA drew is in the store already (the store refuses it; with 126 random bits, a broken random source)' },
  NoCertificateIssuer: { ...USER, description: 'a certificate change was to be applied without a certificate issuer (the CA key from the secret store)' },
  // The command line and the state directory.
  UsageError: { ...USER, description: 'a flag, an argument or a file given to the CLI is not usable' },
  StateSchemaTooNew: { ...USER, description: 'the state database was written by a newer underlay' },
  StateImportConflict: { ...USER, description: "a state import gives an address or a name a different allocation than the state directory holds; nothing was imported" },
  StateExportInvalid: { ...USER, description: 'a file given to `underlay state import` is not a state export underlay can read' },
  StateSchemaTooOld: { ...USER, description: 'the state database is older than this underlay and a read-only command cannot upgrade it' },
  // Apply and status (controller/apply, reconcilers): why a node or a change failed.
  ProbeFailed: { ...NODE, description: "a node's probe exited with an error, so the node could not be observed" },
  ApplyFailed: { ...NODE, description: 'a step of a change failed on its node' },
  Unhealthy: { ...NODE, description: 'a node failed its health check after a rollout batch restarted something on it' },
  DrainFailed: { ...NODE, description: "a drain step a module declares for a node's rollout batch failed, so the node's batch changes were not made" },
  UndrainFailed: { ...NODE, description: 'an undrain step failed after the node passed its gates: it may still be out of its load balancer' },
  RollbackUnplannable: { ...USER, description: 'the last good revision could not be planned for a failed node (it no longer loads or resolves, or the node cannot be observed): it was not rolled back' },
  NoApplyTarget: { ...INTERNAL, description: 'a change names a node or service target apply has no way to reach' },
  NoTargetProvider: { ...USER, description: 'a change applies to a target type (a DNS zone, an IP pool) for which no provider is configured' },
  AddressTaken: { ...TRANSIENT, description: "an address is already allocated to another name in its pool's ledger (plan again)" },
  NoReconciler: { ...INTERNAL, description: 'no reconciler applies changes of a kind the plan holds' },
  ManagedRecordInvalid: { ...NODE, description: "a copy of a node's managed record is not JSON or not of the record's shape" },
  ProbeOutputInvalid: { ...NODE, description: "a node's answer to the probe is malformed or incomplete, so it is not misread" },
  ProbeRequestInvalid: { ...USER, description: 'a value to observe cannot be carried by the probe (a tab, a line break or NUL in it)' },
  NodeOutputInvalid: { ...NODE, description: 'a script on a node printed something that is not the framed records it must answer with' },
  ManagedRecordCorrupt: { ...NODE, description: "neither copy of a node's managed record is usable, so nothing is changed there" },
  NodeIdentityMismatch: { ...NODE, description: "a node's managed record names another node or site as its owner" },
  DuplicateNodeIdentity: { ...NODE, description: 'two nodes of the site reach the same machine' },
  SiteLocked: { ...TRANSIENT, description: 'another apply holds the site lock of this state directory' },
  NodeLeased: { ...TRANSIENT, description: 'another apply, that may be alive, holds the lease on a node' },
  LeaseUnreadable: { ...USER, description: 'a node has a lease file underlay cannot read; a person removes it (force-unlock)' },
  LeaseLost: { ...NODE, description: "another apply took over this apply's lease on a node" },
  NotLeased: { ...NODE, description: 'apply could not take the lease on a node, so it leaves the node alone' },
  UncheckedSpec: { ...INTERNAL, description: "resolve was given a Spec that breaks one of load's rules: its caller skipped load" },
  DependencyCycle: { ...INTERNAL, description: "the changes apply walks depend on each other in a cycle, which the planner never makes" },
  // Alerts (controller/alerts).
  AlertDeliveryFailed: { ...TRANSIENT, description: 'an alert route answered with an error status or not at all; the delivery is retried with backoff' },
  // The controller process (controller/daemon).
  ControllerConfigInvalid: { ...USER, description: "the controller's configuration file does not validate; nothing was started or changed" },
  ControllerStopping: { ...TRANSIENT, description: 'the controller was asked to stop (SIGTERM): changes not yet started are left for its next start' },
  SourceTimeout: { ...TRANSIENT, description: "reading a site's revision took longer than its source's timeout" },
  ControllerUnreachable: { ...TRANSIENT, description: "the CLI could not reach the controller's API at the address it was given" },
  ApprovalStale: { ...USER, description: 'an approval names a plan hash that is not the plan the site would apply now' },
  // Anything else thrown.
  IoFailed: { ...USER, description: "the controller's own file system refused a read or write (a file given to the CLI, the state directory)" },
  InternalError: { ...INTERNAL, description: 'an error underlay did not expect: a bug' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What changes, the journal and status carry instead of an error object. */
export interface ErrorRecord {
  /** An ErrorCode; typed as a string because records are read back from stores written by other versions. */
  code: string;
  message: string;
  kind?: ErrorKind;
}

export interface UnderlayErrorOptions<D> {
  code: ErrorCode;
  message: string;
  data: D;
  cause?: unknown;
}

export class UnderlayError<D extends object = object> extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly data: D;

  /** The kind is the code's (ERROR_CODES), so one code never means two things to the runtime. */
  constructor(options: UnderlayErrorOptions<D>) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.kind = ERROR_CODES[options.code].kind;
    this.data = options.data;
    this.name = new.target.name;
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** By its fields, not by `instanceof`: an error that crossed a process boundary is still recognised. */
export function isUnderlayError(error: unknown): error is UnderlayError {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return isErrorCode(code) && typeof message === 'string';
}

/** The message of anything thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Node's errors of a system call (ENOENT, EACCES ...): a fact about the controller's host, not a bug. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string' && /^E[A-Z]+$/.test(String((error as NodeJS.ErrnoException).code));
}

/**
 * Anything thrown, as the record journals and status carry: a system call's error is IoFailed, and what is
 * neither that nor an UnderlayError is an InternalError.
 */
export function toErrorRecord(error: unknown): ErrorRecord & { kind: ErrorKind } {
  if (isUnderlayError(error)) return { code: error.code, message: error.message, kind: ERROR_CODES[error.code].kind };
  if (isSystemError(error)) return { code: 'IoFailed', message: error.message, kind: 'user' };
  return { code: 'InternalError', message: describeError(error), kind: 'internal' };
}

