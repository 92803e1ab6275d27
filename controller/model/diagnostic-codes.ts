/**
 * Every diagnostic code there is, in one list: its default severity, the stages that report it, the CLI
 * commands that print it, and what it means. `Diagnostic.code` is typed from this list, so a code cannot
 * be reported without being listed; the broken-repository corpus (test/broken/corpus.test.ts) iterates
 * it, so a code no test produces fails the suite.
 *
 * `testedIn` marks the codes no repository can produce through the CLI today (load reports the same
 * problem first under its own code, the snapshot is not part of the repository, or only time can trigger
 * it): the test file named there produces the code instead of a corpus case.
 */
export type Severity = 'error' | 'warning';

/** Where in the pipeline a code is reported (DESIGN.md: load, resolve; observe for inventory snapshots). */
export type DiagnosticStage = 'load' | 'resolve' | 'observe';

export type DiagnosticCommand = 'validate' | 'plan' | 'apply' | 'inventory';

export interface DiagnosticCodeInfo {
  severity: Severity;
  /** The first is where the code is normally found; resolve repeats some of load's checks on rendered values. */
  stages: readonly DiagnosticStage[];
  commands: readonly DiagnosticCommand[];
  description: string;
  /** A repository-relative test file that produces the code, for codes no corpus case can. */
  testedIn?: string;
}

/** Every command that reads a repository loads and resolves it first. */
const REPOSITORY = ['validate', 'plan', 'apply', 'inventory'] as const;
const LOAD = { severity: 'error', stages: ['load'], commands: REPOSITORY } as const;
const LOAD_AND_RESOLVE = { severity: 'error', stages: ['load', 'resolve'], commands: REPOSITORY } as const;
const RESOLVE = { severity: 'error', stages: ['resolve'], commands: REPOSITORY } as const;
const SNAPSHOT = { severity: 'error', stages: ['observe'], commands: ['plan'] } as const;

export const DIAGNOSTIC_CODES = {
  RevisionTooLarge: { ...LOAD, description: 'the files of the revision add up to more bytes than load reads' },
  FileTooLarge: { ...LOAD, description: 'one file of the revision is larger than load reads' },
  SymlinkOutsideRepository: { ...LOAD, description: 'a symbolic link in the revision points outside the repository' },
  InvalidUtf8: { ...LOAD, description: 'a document or template is not valid UTF-8 text' },
  PrivateKeyMaterial: { ...LOAD, description: 'a file of the revision holds private key material, in any encoding' },
  TsigKeyInline: { ...LOAD, description: 'a DNSZone carries TSIG key material itself instead of naming its key in the secret store (tsigKeySecret)' },
  YamlSyntax: { ...LOAD, description: 'a document is not well-formed YAML (syntax, a repeated or non-string key, too many aliases)' },
  YamlTooDeep: { ...LOAD, description: 'collections nest deeper than a site document needs, directly or through aliases' },
  YamlRecursiveAlias: { ...LOAD, description: 'an alias is inside the node it names, so its value never ends' },
  UnknownApiVersion: { ...LOAD, description: 'a document has an apiVersion this controller does not read' },
  UnknownKind: { ...LOAD, description: 'a document has a kind this controller does not know' },
  SchemaViolation: { ...LOAD_AND_RESOLVE, description: "a document or field does not match its kind's schema (resolve: a rendered path that is not one)" },
  DuplicateName: { ...LOAD_AND_RESOLVE, description: 'two documents of one kind, two steps of one cluster, or two health gates of one node have the same name' },
  MultipleSites: { ...LOAD, description: 'the repository has more than one Site document' },
  DanglingReference: { ...LOAD_AND_RESOLVE, description: 'a reference names a module, step, output, param, pool, zone, authority, bastion or resource that does not exist' },
  UnknownInput: { ...LOAD_AND_RESOLVE, description: 'a step passes an input its module does not declare' },
  MissingInput: { ...LOAD_AND_RESOLVE, description: 'a step does not pass an input its module requires' },
  TemplateNotFound: { ...LOAD, description: 'a template file a module names is not in the revision (or is a symbolic link loop)' },
  PathTraversal: { ...LOAD, description: 'a template path leads outside the repository' },
  StepCycle: { ...LOAD, description: "a cluster's steps read each other's outputs in a cycle" },
  SelectorMatchesNothing: { ...LOAD, severity: 'warning', description: 'a node selector selects no node' },
  PathOutsideAllowedRoots: { ...LOAD_AND_RESOLVE, description: "a path on the nodes is outside the Site's allowed roots (resolve: once rendered)" },
  OverlappingPools: { ...LOAD, description: "two IPPools' CIDR blocks overlap" },
  PoolAddressOutsideCidr: { ...LOAD_AND_RESOLVE, description: "a pool's gateway, reserved address or range is outside its CIDR block" },
  PoolAddressFamilyMismatch: { ...LOAD_AND_RESOLVE, description: "a pool's address is IPv4 in an IPv6 pool, or the reverse" },
  PoolRangeReversed: { ...LOAD_AND_RESOLVE, description: "a pool's range starts after it ends" },
  DuplicateResource: { ...LOAD_AND_RESOLVE, description: 'one resource is declared twice by a module, or rendered by two steps on the same node' },
  BastionCycle: { ...LOAD, description: "nodes' ssh.via bastions lead back to the node, so none can be reached" },
  InvalidHostKey: { ...LOAD, description: 'a pinned host key is not a usable SSH public key line' },
  DuplicateHostKey: { ...LOAD, description: 'one host key is pinned on two nodes' },
  SecretNotInPolicy: { ...LOAD, description: "a resource delivers a controller secret that no entry of the Site's spec.secrets names, so it may go to no node" },
  SecretNodeNotAllowed: { ...LOAD, description: "a resource delivers a controller secret to a node its policy (Site spec.secrets) does not select" },
  SecretNotDeliverable: { ...LOAD, description: "a secret policy names the controller's own SSH client key or a CA key, which never leave the controller" },
  DuplicateNodeAddress: { ...LOAD, description: 'two nodes have the same address, SSH port and bastion: one machine under two names' },
  TemplateError: { ...RESOLVE, description: 'a template does not parse or does not render (an undefined variable, a bad filter)' },
  TemplateBudgetExceeded: { ...RESOLVE, description: 'rendering a template ran out of a counted budget (output bytes, loop iterations, memory)' },
  TemplateTimeLimit: {
    ...RESOLVE,
    description: 'rendering a template ran past the CPU-time backstop',
    testedIn: 'controller/resolve/template-engine.test.ts',
  },
  UnsafeShellValue: { ...RESOLVE, description: 'a value reaches code run by a shell or interpreter, or argv cannot carry it safely' },
  InputTypeMismatch: { ...RESOLVE, description: "a step input's value is not of the type its module declares" },
  UnknownFact: { ...RESOLVE, description: 'an input reads a fact the node neither has built in, declares nor was observed with' },
  ResolvedAtPlanTime: {
    ...RESOLVE,
    severity: 'warning',
    commands: ['validate'],
    description: 'an input or template reads a fact only observing the node gives, so validate leaves its step, and the checks of it, for plan time',
  },
  OutputNotOnNode: { ...RESOLVE, description: "an input reads a step's output on a node that step does not run on" },
  PoolExhausted: { ...RESOLVE, description: 'an IPPool has no free address left for a requested allocation; the message names the pool and its claimants' },
  NoAddressHolder: { ...RESOLVE, severity: 'warning', description: "no node of the cluster matches a held address's holder selector, so it is allocated but brought up nowhere" },
  AddressConflict: {
    ...RESOLVE,
    severity: 'warning',
    description: "an address of a pool is in use by something underlay does not manage (up on a node's interface, or answering ARP), so it is not handed out",
    testedIn: 'controller/resolve/ipam.test.ts',
  },
  CertificateNotAllowed: { ...RESOLVE, description: "a certificate asks for a name, address, key type, usage or validity its CertificateAuthority's policy does not give that node" },
  InventorySyntax: { ...SNAPSHOT, description: 'an inventory snapshot given to plan --inventory is not JSON', testedIn: 'controller/inventory/parse-inventory.test.ts' },
  InventorySchema: { ...SNAPSHOT, description: 'an inventory snapshot does not match the inventory schema', testedIn: 'controller/inventory/parse-inventory.test.ts' },
} as const satisfies Record<string, DiagnosticCodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export const diagnosticCodes = (): DiagnosticCode[] => Object.keys(DIAGNOSTIC_CODES).sort() as DiagnosticCode[];
