/**
 * The contract of a resource kind: the small facets every stage asks a kind for, so that no stage lists
 * kinds itself. Adding a kind is one folder under reconcilers/, one line in registry.ts (and one in
 * effects.ts when it is applied), its docs and its tests (docs/adding-a-resource-kind.md).
 *
 * Everything here is pure: spec/, load, resolve and plan import it. What touches a machine (apply, health)
 * is in kind-effects.ts, imported only by observe and apply.
 *
 * A kind provides the facets its target type requires (REQUIRED_FACETS, REQUIRED_EFFECTS) and no stubs:
 * the completeness test (registry.test.ts) holds every registered kind to the table.
 */
import type { z } from 'zod';
import type { Change } from '../controller/model/change.js';
import type { Desired, ResourceSpec } from '../controller/model/desired.js';
import type { ObservedResource, ServiceInventory } from '../controller/model/observed.js';
import type { Target, TargetType } from '../controller/model/target.js';
import type { ManagedUpdate } from './managed-record-format.js';

/** A field inside a kind's own document (the object under its key in a module's `resources` entry). */
export type FieldPath = readonly (string | number)[];

// ------------------------------------------------------------------------------------------------ load

/** What a resource is called on its node (a path, a name), and the field that says so. */
export interface Identity {
  value: string;
  field: FieldPath;
}

/**
 * A name a resource uses: another resource of the same module (`file:/etc/app.conf`, checked to exist and
 * drawn as a dependency), or a document of the site.
 */
export type Reference = { field: FieldPath; resource: string } | { field: FieldPath; document: 'CertificateAuthority'; name: string };

/** A node path a resource manages or runs: held to the site's allowed roots (programs also to PROGRAM_ROOTS). */
export interface PathUse {
  path: string | undefined;
  field: FieldPath;
  program?: boolean;
}

/** A repository file a resource reads (a template): load reads it, relative to the module document. */
export interface RepositoryFile {
  name: string;
  field: FieldPath;
}

/** A controller secret a resource delivers to its node, and the field of the kind's document naming it. */
export interface SecretDelivery {
  secret: string;
  field: FieldPath;
}

export type ReportProblem = (field: FieldPath, code: 'SchemaViolation', message: string) => void;

// --------------------------------------------------------------------------------------------- resolve

export interface RenderedText {
  text: string;
  /** The values the template interpolated, for the shell-safety checks. */
  interpolated: string[];
}

/**
 * What resolve offers a kind's render: templates rendered in the step's scope, rendered paths held to the
 * rules load holds literal ones to, and the shell-safety checks. A failure is reported at the field's place
 * in Git (file, line, column) and answered with null; the kind then renders nothing.
 */
export interface RenderContext {
  text(template: string, field: FieldPath): RenderedText | null;
  texts(templates: readonly string[], field: FieldPath): RenderedText[] | null;
  /** A template file named relative to the module document (load has read it). */
  templateFile(name: string, field: FieldPath): RenderedText | null;
  /** A path field: rendered only when it holds markup, then checked (form, allowed roots; programs also PROGRAM_ROOTS). */
  path(template: string, field: FieldPath, options?: { program?: boolean }): string | null;
  /** A rendered argv[0]: when it was templated, held to the roots programs may live under. */
  program(template: string, rendered: string, field: FieldPath): string | null;
  /** Resource references (`restartOnChangeOf`), rendered like the paths they name; sorted, without repeats. */
  refs(refs: readonly string[], field: FieldPath): string[] | null;
  /** `offset`: leading elements of `argv` that are not templates of `field` (a service's fixed command). */
  checkArgv(argv: readonly RenderedText[], field: FieldPath, offset: number): void;
  checkEnvironment(environment: Readonly<Record<string, string>>, field: FieldPath): void;
}

/**
 * What only the whole resolved site knows about one node, handed to a kind's `bind` once every cluster and
 * every allocation is resolved: what its certificates may name, under each CertificateAuthority.
 */
export interface SiteBinding {
  node: string;
  /** The authority by name, with what it may sign for this node; undefined when there is no such document. */
  authority(name: string): AuthorityForNode | undefined;
  /** A problem with the resource itself, at its field in Git. */
  report(field: FieldPath, code: 'CertificateNotAllowed', message: string): void;
}

export interface AuthorityForNode {
  name: string;
  /** Its certificate, PEM, as Git holds it. */
  certificate: string;
  keySecret: string;
  policy: { maxValidityDays: number; keyTypes: string[]; usages: ('server' | 'client')[] };
  /** Whether its `policy.nodes` selects the node at all. */
  issuesToNode: boolean;
  /** The node's names and addresses under this authority's policy (suffixes, pools), sorted. */
  entitlement: { node: string; dnsNames: string[]; ipAddresses: string[] };
}

/** What resolve and plan order by. */
export interface NodeOrder<S extends ResourceSpec> {
  /**
   * `content` is what a step's actors use (files, directories, certificates); an `actor` (service, command)
   * acts on it, so it comes after its step's content.
   */
  role: 'content' | 'actor';
  /** Node paths the resource occupies: it waits for the managed directories they lie in. */
  paths?(spec: S): readonly string[];
  /** A directory: what lies under this path waits for it, and its delete waits for theirs. */
  encloses?(spec: S): string;
  /**
   * Addresses the resource names (a certificate's IP SANs): one that a pool allocates waits for its
   * allocation (its address resource on its holder), however it was written into the resource.
   */
  namesAddresses?(spec: S): readonly string[];
  /** Other nodes' steps that read this step's outputs wait for these (services), else for the whole step. */
  marksReadiness?: true;
  /**
   * Deletes, which have no desired edges: a `stop` (service, command, certificate) goes first; `content`
   * deletes wait for the node's stops, and an enclosing one also for the content deletes under it.
   */
  deletes: 'stop' | 'content';
  /** A create or update of this kind waits for the node's deletes of it (a swapped module's service stops first). */
  startsAfterDeletesOfItsKind?: true;
  /** Among changes free to go in any order, where a reader expects it in a listing: what others live in first. */
  rank: number;
}

/** A kind whose resources other resources' changes restart, reload or run again (services, commands). */
export interface Trigger<S extends ResourceSpec> {
  action: 'restart' | 'run';
  /** Whether it may be restarted or run at all (a disabled service is not started). */
  active(spec: S): boolean;
  /** Keys of the same node's resources whose change triggers it (`lighter`'s too); they are also its dependency edges. */
  on(spec: S): readonly string[];
  /**
   * Keys among `on` whose change asks only for a lighter action (a service's reload). When a key of `on`
   * outside these changed too, `action` is taken alone: a restart does what a reload would.
   */
  lighter?: { action: 'reload'; on(spec: S): readonly string[] };
  /** What a triggered change carries: apply works from the plan alone. */
  after(spec: S): Record<string, unknown>;
  /** The listing's "after" line names only the changes that trigger it, not its ordering edges. */
  namesOnlyCauses?: true;
}

// ------------------------------------------------------------------------------------------------ plan

/** State shared by the diffs of one plan (a cache of rendered service definitions), by key. */
export interface PlanScope {
  shared<T>(key: object, create: () => T): T;
}

export interface DiffInput<S extends ResourceSpec, O extends ObservedResource> {
  /** Null when the resource is no longer in Git (a prune candidate). */
  desired: S | null;
  /** Undefined when the probe did not see it (or nothing was observed: the empty inventory). */
  observed: O | undefined;
  /** Hash recorded in the node's managed list when underlay last applied it; undefined if not managed. */
  managedHash: string | undefined;
  /** Hash of the desired spec, comparable with managedHash; computed on first call (hashing every resource is not free). */
  desiredHash: (() => string) | undefined;
  serviceManager: 'runit' | 'systemd';
  /** The planner's notion of "now" (ISO time), for expiry decisions; passed in so diffs stay pure. */
  now?: string | undefined;
  scope?: PlanScope | undefined;
}

export interface DiffResult {
  action: Change['action'];
  reason: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Whether the change disturbs something running (restarts, stops): such changes go through rollout batches. */
  disruptive?: boolean;
  /**
   * Whether the change undoes drift: the node moved away from what underlay applied there, at the same desired
   * state. Left out, the planner decides by the managed record (the desired hash is the one recorded, and no
   * write of it is pending). A kind says `false` where a change is due at the same desired state for another
   * reason (a certificate up for renewal, a secret rotated in the store), and the planner then never calls it drift.
   */
  drift?: boolean;
}

/** What a reader needs to see about one change beyond its reason, as plain lines. */
export interface ChangeDetails {
  /** Short attribute lines. */
  attributes: string[];
  /** Diff-style content lines ('+x', '-y', ' z', '@@ ... @@'), empty when there is nothing to show. */
  content: string[];
}

/**
 * How apply keeps the node's managed record in step with a change (controller/apply/managed-record-keeper.ts
 * says when each is due, and why the order matters).
 */
export interface Ownership {
  /** The update due before the change touches the node, if any. */
  before(change: Change): ManagedUpdate | null;
  /** The update due after it succeeded, if any. */
  after(change: Change): ManagedUpdate | null;
  /** Whether the change is a restart or re-run only the record can remember once its causes are done. */
  owes?(change: Change): boolean;
  /** The flag written before an owed change's causes run; default: restartPending, hash kept. */
  pendingMark?(change: Change): ManagedUpdate;
}

// ----------------------------------------------------------------------------------------------- probe

/** One line of the probe's stdin: `tag \t args...`; the probe answers each in order. */
export interface ProbeRequest {
  /** The resource key the answer belongs to. */
  key: string;
  /** The resource kind whose parse reads the answer. */
  kind: string;
  tag: string;
  args: readonly string[];
  /** What parse compares the answer with (a keyed digest the controller computed): kept here, never sent. */
  expect?: string;
}

export type ProbeAsk = Pick<ProbeRequest, 'tag' | 'args' | 'expect'>;

/**
 * A controller secret whose copy on a node a probe compares with the store, and the scope (a path) its
 * per-node digest key is derived for (controller/secrets/keyed-digest.ts).
 */
export interface SecretUse {
  secret: string;
  scope: string;
}

/**
 * What observe gives a probe for one SecretUse on one node: the HMAC-SHA256 key derived for that node and
 * scope, and the keyed digest of the secret's value in the store now (undefined when the store lacks it).
 * Neither is the value nor a plain hash of it.
 */
export interface SecretProbeKey {
  key: Uint8Array;
  expected: string | undefined;
}

/** By SecretUse; undefined when observe has no secret store (the content is then not compared). */
export type SecretProbeKeys = (use: SecretUse) => SecretProbeKey | undefined;

/** What a probe knows of the node it asks. */
export interface ProbeNode {
  serviceManager: 'runit' | 'systemd';
  secretKeys?: SecretProbeKeys | undefined;
}

export interface NodeProbe<S extends ResourceSpec, O extends ObservedResource> {
  /**
   * The probe script's `case` arms, by request tag: sh that reads the request's fields as `$a` and `$b` and
   * prints its answer with `record R "$i" ...` (framed-output.ts). Constant text: node values reach it only
   * as request fields.
   */
  arms: Readonly<Record<string, string>>;
  /** sh functions the arms use, defined once before the request loop. */
  functions?: string;
  /**
   * By request tag: sh run for each such request before any is answered, that names the paths its arm will
   * `st` (`prefetch PATH`) or `hash` (`prefetch PATH hash`), so that one `stat` and one `sha256sum` serve
   * every request of the node instead of a process per path (probe-script.ts). Only builtins here.
   */
  prefetch?: Readonly<Record<string, string>>;
  requests(spec: S, node: ProbeNode): ProbeAsk[];
  /** The controller secrets the requests compare with (observe derives their keys before building the probe). */
  secrets?(spec: S): readonly SecretUse[];
  /** For a managed key no longer in Git (a prune candidate): what can be asked knowing only its identity. */
  requestsForIdentity?(identity: string, node: { serviceManager: 'runit' | 'systemd' }): ProbeAsk[];
  /** One answer (its fields after the index) into the observation; `previous` is what earlier answers of the key gave. */
  parse(request: ProbeRequest, answer: readonly string[], previous: O | undefined): O;
}

// ----------------------------------------------------------------------------------------------- kinds

/**
 * A kind of resource on a node, declared in a module's `resources:` list. Unparameterised, it is any kind:
 * the registry holds kinds of every spec type, and calls each only with its own documents, specs and
 * observations (it dispatches by `kind`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: each kind is only ever handed its own values
export interface NodeKind<Doc = any, S extends ResourceSpec = any, O extends ObservedResource = any> {
  kind: S['kind'];
  target: 'node';
  /**
   * Planned and shown, but not applied yet: why, and what it waits for. Such a kind has no effects, and
   * apply fails its changes with this.
   */
  planOnly?: string;
  /** The entry under `resources: - <kind>: {...}`, given how a reference to another resource is written. */
  schema(resourceRef: z.ZodType<string>): z.ZodType<Doc>;
  /** One observed resource of this kind in an inventory: an object whose `kind` is this kind. */
  observedSchema: z.ZodType<O> & z.core.$ZodTypeDiscriminable;
  identity: {
    of(doc: Doc): Identity;
    /** Of a rendered spec: with the kind, its key. */
    ofSpec(spec: S): string;
  };
  references?(doc: Doc): Reference[];
  /** The controller secrets it delivers to its node: load holds each to the secret's policy (Site.spec.secrets). */
  delivers?(doc: Doc): SecretDelivery[];
  paths(doc: Doc): PathUse[];
  /** Kind-specific load checks beyond the schema. */
  checks?(doc: Doc, report: ReportProblem): void;
  repositoryFiles?(doc: Doc): RepositoryFile[];
  render(doc: Doc, ctx: RenderContext): S | null;
  /** Completes a rendered spec with what only the whole site knows (a certificate's entitlement); pure. */
  bind?(spec: S, site: SiteBinding): S;
  order: NodeOrder<S>;
  trigger?: Trigger<S>;
  /** The hash recorded in the managed record when applied; default: sha256 of the spec's canonical JSON. */
  hash?(spec: S): string;
  /** Pure. Null means nothing to do. Restarts triggered by other resources are decided by the planner. */
  diff(input: DiffInput<S, O>): DiffResult | null;
  details(change: Change): ChangeDetails;
  probe: NodeProbe<S, O>;
  ownership: Ownership;
}

export interface ServiceDiffInput<S extends ResourceSpec> {
  /** Null when no longer in Git: what the services recorded was written by underlay, so it is pruned. */
  desired: S | null;
  observed: string | undefined;
  /** The target says the value is no longer the one underlay wrote (a record edited by hand). */
  editedOutside?: boolean | undefined;
  /** The mark of the value underlay wrote, when the target no longer holds it (edited, or deleted, by hand). */
  writtenMark?: string | undefined;
}

/** What a service target says beyond the values underlay wrote there, by the kind that reads it. */
export interface ServiceTargetFindings {
  /** Targets that could not be read, with why: nothing is planned in them, since an unread target is no empty one. */
  unobserved: Record<string, string>;
  /** Keys Git wants that someone else holds (another site, a person), with whose: never changed, shown as conflicts. */
  heldElsewhere: Record<string, string>;
  /** Keys whose value was changed outside underlay since underlay wrote it. */
  editedOutside: ReadonlySet<string>;
  /** Keys edited or deleted outside underlay -> the mark of the value underlay wrote there. */
  writtenMarks?: ReadonlyMap<string, string>;
  /** Targets planned as empty because what serves them is not there yet, with why (a reader must see it). */
  assumedEmpty?: Record<string, string>;
}

/** A kind of resource in a service (an IP pool's ledger, a DNS zone), rendered by resolve from the cluster documents. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as NodeKind: each kind is only ever handed its own specs
export interface ServiceKind<S extends ResourceSpec = any> {
  kind: S['kind'];
  target: Exclude<TargetType, 'node'>;
  /** What the inventory recorded of this kind, by resource key. */
  observed(services: ServiceInventory): Record<string, string>;
  /** The target a key lives in (the pool of 'ip:<pool>/<name>'): where a pruned resource is planned. */
  targetOf(key: string): Target;
  /** What its targets say beyond underlay's own values (a DNS zone's unread state, foreign records, hand edits). */
  findings?(services: ServiceInventory): ServiceTargetFindings;
  /** Why what Git no longer names is kept in this target (a DNSZone's `upsert-only` policy), or undefined: it is pruned. */
  keeps?(target: Target, desired: Desired): string | undefined;
  diff(input: ServiceDiffInput<S>): DiffResult | null;
  details(change: Change): ChangeDetails;
  order: {
    rank: number;
    /** A value this change makes available (an allocated address)... */
    provides?(change: Change): string | undefined;
    /** ...that this change waits for when the same plan provides it (a record pointing at that address). */
    awaits?(change: Change): string | undefined;
    /** The node resource (`node/key`) serving the change's target: the change waits for its change in the same plan. */
    servedBy?(target: Target, desired: Desired): string | undefined;
  };
}

export type ResourceKindDefinition = NodeKind | ServiceKind;

/** The facets each target type requires of its kinds (optional ones are in the interfaces above). */
export const REQUIRED_FACETS = {
  node: ['schema', 'observedSchema', 'identity', 'paths', 'render', 'order', 'diff', 'details', 'probe', 'ownership'],
  pool: ['observed', 'targetOf', 'diff', 'details', 'order'],
  zone: ['observed', 'targetOf', 'diff', 'details', 'order'],
  ca: ['observed', 'targetOf', 'diff', 'details', 'order'],
  lb: ['observed', 'targetOf', 'diff', 'details', 'order'],
} as const satisfies Record<TargetType, readonly string[]>;

/**
 * The effects (kind-effects.ts) each target type requires. Certificate authorities and load balancers have
 * no kinds yet (issue 9); a zone kind's effects work through the zone's provider, and apply fails its
 * changes when none is configured (NoTargetProvider).
 */
export const REQUIRED_EFFECTS = {
  node: ['apply'],
  pool: ['apply'],
  zone: ['apply'],
  ca: [],
  lb: [],
} as const satisfies Record<TargetType, readonly string[]>;
