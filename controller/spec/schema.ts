/**
 * The site repository format, v1alpha1: the one source of truth. Types are inferred from these schemas,
 * the published JSON Schema (`underlay schema`) and the CRDs are generated from them.
 */
import { z } from 'zod';
import { Duration } from './duration.js';
import { drainStep, HealthGate } from './health-gate.js';
import { registry } from '../../reconcilers/registry.js';
import { Account, InterfaceName, Name, NodePath, SecretName, Template } from './primitives.js';

export { SecretName } from './primitives.js';

export const API_VERSION = 'underlay.dev/v1alpha1';

const LabelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, 'invalid label key');
const LabelValue = z.string().regex(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/, 'invalid label value');
export const Labels = z.record(LabelKey, LabelValue);

export const Metadata = z.strictObject({
  name: Name,
  labels: Labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A TCP or UDP port: every port field of the format is one of these, so none takes 0, -1 or 70000. */
export const Port = z.number().int().min(1).max(65535);

/** Selects nodes by labels and roles; every condition must hold. An empty selector selects all nodes. */
export const NodeSelector = z.strictObject({
  matchLabels: Labels.optional(),
  roles: z.array(Name).optional(),
  names: z.array(Name).optional(),
});
export type NodeSelector = z.infer<typeof NodeSelector>;

// ---------------------------------------------------------------- Rollout
/** A share of a cluster's members, rounded down: "25%". */
const Percentage = z.string().regex(/^(100|[1-9]?[0-9])%$/, 'must be a percentage from 0% to 100%, e.g. "25%"');

/**
 * How a cluster's disruptive changes roll out. Every field is optional: a cluster's value wins over the
 * Site's (`Site.spec.rollout`), which wins over the defaults (controller/spec/rollout-policy.ts), field by field.
 */
export const RolloutPolicy = z
  .strictObject({
    /** Members down at once, counting those already down: a count, or a percentage of the members (rounded down, at least 1). */
    maxUnavailable: z.union([z.number().int().min(1), Percentage]).optional(),
    /** The older name of maxUnavailable (a count); one of the two. */
    batchSize: z.number().int().min(1).optional(),
    /** Batch order: by node name, one failure domain (the value of a label) at a time, or the listed nodes first. */
    order: z.union([z.literal('name'), z.strictObject({ label: LabelKey }), z.strictObject({ explicit: z.array(Name).min(1) })]).optional(),
    /** A first batch of `nodes` nodes, then a soak before the rest. */
    canary: z.strictObject({ nodes: z.number().int().min(1), soak: Duration.default('0s') }).optional(),
    /** Wait between batches, after a batch passed its gates. */
    soak: Duration.optional(),
    /** How long a batch's gates may take to pass before the batch has failed. */
    progressDeadline: Duration.optional(),
    /** Failed nodes tolerated across the whole rollout, as a count or a percentage of the members; one more trips the circuit breaker. */
    failureBudget: z.union([z.number().int().min(0), Percentage]).optional(),
    /** What a tripped breaker does: halt the rollout, or pause it so that `underlay rollout resume` carries on. */
    onFailure: z.enum(['halt', 'pause']).optional(),
    /** Whether the nodes that failed are put back to the last good revision's desired state. */
    rollback: z.enum(['none', 'failed-nodes']).optional(),
    /** Health gates for every member besides its modules' own: a Site's and a Cluster's both apply. */
    gates: z.array(HealthGate).optional(),
  })
  .superRefine((policy, ctx) => {
    if (policy.maxUnavailable !== undefined && policy.batchSize !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['batchSize'], message: 'batchSize is the older name of maxUnavailable: set one of them, not both' });
    }
    const explicit = policy.order !== undefined && typeof policy.order === 'object' && 'explicit' in policy.order ? policy.order.explicit : [];
    explicit.forEach((name, i) => {
      if (explicit.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['order', 'explicit', i], message: `node "${name}" is listed twice` });
    });
  });
export type RolloutPolicy = z.infer<typeof RolloutPolicy>;

// ---------------------------------------------------------------- Site
/**
 * A controller secret's own policy: the nodes it may be delivered to (a `secretFile` resource). A secret no
 * entry names goes to no node; one named here still goes only to nodes whose pinned host key was verified
 * on the connection that carries it.
 */
export const SecretPolicy = z.strictObject({
  name: SecretName,
  /** The nodes that may receive it; every condition must hold (an empty selector: every node). */
  nodes: NodeSelector,
  description: z.string().optional(),
});
export type SecretPolicy = z.infer<typeof SecretPolicy>;

export const SiteSpec = z.strictObject({
  /** Values any cluster step may reference with `{param: name}`. */
  params: z.record(z.string(), z.json()).default({}),
  ssh: z
    .strictObject({
      user: Account.default('root'),
      port: Port.default(22),
      /** Name of the client key in the controller's secret store (never the key itself). */
      clientKeySecret: SecretName.default('ssh-client-key'),
      /**
       * The dead-peer rule: a probe every keepaliveIntervalSeconds, and a connection that leaves
       * keepaliveCountMax probes in a row unanswered is lost. A silent network loss then fails that node's
       * change after about interval x (count + 1) seconds instead of hanging until the command's timeout.
       */
      keepaliveIntervalSeconds: z.number().int().min(1).max(3600).default(5),
      keepaliveCountMax: z.number().int().min(1).max(100).default(2),
    })
    .default({ user: 'root', port: 22, clientKeySecret: 'ssh-client-key', keepaliveIntervalSeconds: 5, keepaliveCountMax: 2 }),
  serviceManager: z.enum(['runit', 'systemd']).default('runit'),
  /** Roots under which modules may manage files. A resource path outside all of them is refused. */
  allowedPaths: z.array(NodePath).default(['/etc', '/opt', '/srv', '/usr/local', '/var/lib', '/var/log']),
  /** Rollout defaults for every cluster; a Cluster's own `rollout` fields win. */
  rollout: RolloutPolicy.default({}),
  /** Which nodes each controller secret may be delivered to; a secret not listed is delivered nowhere. */
  secrets: z.array(SecretPolicy).default([]),
});

// ---------------------------------------------------------------- Node
export const NodeSpec = z.strictObject({
  address: z.union([z.ipv4(), z.ipv6(), z.hostname()]),
  roles: z.array(Name).default([]),
  ssh: z
    .strictObject({
      user: Account.optional(),
      port: Port.optional(),
      /** Pinned host public key, OpenSSH format. Without it, underlay refuses to connect. */
      hostKey: z
        .string()
        .regex(/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,2}( .*)?$/, 'must be an OpenSSH public key line'),
      /** Name of another Node to jump through (bastion). */
      via: Name.optional(),
    }),
  serviceManager: z.enum(['runit', 'systemd']).optional(),
  /** Static facts an operator asserts about the node; observed facts are added at plan time. */
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /**
   * Taking the node out (default false). It stays in Git, with its pinned key, while underlay dismantles it:
   * it leaves every cluster (peer lists, backends and DNS records drop it), what underlay manages on it is
   * removed after the staying members' changes, and the plan says when its document can be deleted.
   */
  decommission: z.boolean().optional(),
});

// ---------------------------------------------------------------- Module
export const InputType = z.enum(['string', 'integer', 'number', 'boolean', 'list', 'map']);

export const ModuleInput = z.strictObject({
  type: InputType,
  default: z.json().optional(),
  description: z.string().optional(),
});

/** A reference to another resource of the same module: `file:/etc/x.conf`, `directory:/var/lib/x`, `service:x`. */
export const ResourceRef = z
  .string()
  .regex(new RegExp(`^(${registry.nodeKinds.map((k) => k.kind).join('|')}):.+$`), 'must look like kind:key, e.g. "file:/etc/app.conf"');

/** One entry of a module's `resources:` list: exactly one kind key, each kind's entry from its folder (reconcilers/<kind>/). */
export const ModuleResource = z.union(registry.nodeKinds.map((k) => z.strictObject({ [k.kind]: k.schema(ResourceRef) })));

export const ModuleSpec = z.strictObject({
  description: z.string().optional(),
  inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid input name'), ModuleInput).default({}),
  /** Values this module provides to later steps; each a template. Modules with the same outputs are interchangeable. */
  outputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid output name'), Template).default({}),
  resources: z.array(ModuleResource).default([]),
  /** How to tell the module is healthy on a node, after its batch (and before it): health gates. */
  health: z.array(HealthGate).default([]),
  /** Run before the node's batch changes it (take it out of a load balancer, move a leader away), in order. */
  drain: z.array(drainStep(NodeSelector)).default([]),
  /** Run after the node's gates passed, in order. */
  undrain: z.array(drainStep(NodeSelector)).default([]),
});

// ---------------------------------------------------------------- Cluster
/**
 * Where a step input's value comes from. A plain YAML value is a literal; these objects are references.
 *   {param: NAME}                         site (or cluster) parameter
 *   {fact: NAME}                          this node's fact: name, address, roles, labels.K, or a declared/observed fact
 *   {nodes: SELECTOR, fact: NAME}         that fact of every cluster node matching SELECTOR (cluster linking), sorted by node name
 *   {output: STEP.NAME}                   another step's output on this node
 *   {output: STEP.NAME, nodes: SELECTOR}  that output of every matching node running STEP, sorted by node name
 *   {value: ANY}                          a literal that would otherwise look like a reference
 */
export const InputSource = z.union([
  z.strictObject({ param: z.string().min(1) }),
  z.strictObject({ fact: z.string().min(1) }),
  z.strictObject({ nodes: NodeSelector, fact: z.string().min(1) }),
  z.strictObject({ output: z.string().regex(/^[a-z0-9-]+\.[A-Za-z_][A-Za-z0-9_]*$/, 'must be STEP.OUTPUT'), nodes: NodeSelector.optional() }),
  z.strictObject({ value: z.json() }),
]);

export const ClusterStep = z.strictObject({
  name: Name,
  module: Name,
  /** Narrows the cluster's nodes for this step; default: all of them. */
  nodes: NodeSelector.optional(),
  /**
   * `first`: only the first of those nodes, by name (decommissioned nodes are no members, so never picked),
   * e.g. the one member that asks a cluster to add or remove the others. Default `all`.
   */
  pick: z.enum(['all', 'first']).optional(),
  /**
   * The step may run on no node for now (e.g. members that join a cluster later): its `nodes` selector
   * matching nothing is then no SelectorMatchesNothing warning.
   */
  allowNoNodes: z.boolean().optional(),
  /** Input values: literals or InputSource references. */
  with: z.record(z.string(), z.json()).default({}),
});

export const ClusterAddress = z
  .strictObject({
    name: Name,
    pool: Name,
    /** A VIP: held by the first cluster node (by name) this selector picks; failover is not automatic. */
    holder: NodeSelector.optional(),
    /** One address for every cluster node this selector picks (`{}`: all of them), named `<name>.<node>`. */
    perNode: NodeSelector.optional(),
    /** The interface a held address is brought up on; required with `holder` or `perNode`. */
    interface: InterfaceName.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.holder && a.perNode) ctx.addIssue({ code: 'custom', path: ['perNode'], message: 'an address has either a holder (a VIP) or perNode (one per node), not both' });
    if ((a.holder || a.perNode) && a.interface === undefined) ctx.addIssue({ code: 'custom', path: ['interface'], message: 'a held address needs the interface it is brought up on' });
    if (!a.holder && !a.perNode && a.interface !== undefined) ctx.addIssue({ code: 'custom', path: ['interface'], message: 'interface is for a held address: give holder or perNode too' });
  });
export type ClusterAddress = z.infer<typeof ClusterAddress>;

/** A DNS name, whose labels may be `{{ zone }}` (the cluster's zone). */
const MemberName = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?|\{\{ ?zone ?\}\})(\.([a-z0-9]([a-z0-9-]*[a-z0-9])?|\{\{ ?zone ?\}\}))*$/, 'must be a DNS name, whose labels may be "{{ zone }}"');

const DnsRecordName = z.string().regex(/^(@|\*|(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?\.?)$/, 'must be a DNS name relative to the zone ("etcd", "@") or absolute with a trailing dot');
export const DnsRecordEntry = z.strictObject({
  name: DnsRecordName,
  type: z.enum(['A', 'AAAA', 'CNAME', 'SRV', 'TXT', 'PTR']),
  /** A: an IPv4 address; CNAME/PTR: a name; SRV: "PRIORITY WEIGHT PORT TARGET"; TXT: the text. */
  value: z.union([z.string().min(1), z.strictObject({ address: Name })]),
  ttl: z.number().int().min(1).optional(),
});

/**
 * What a drift check does with a resource found unlike the last applied revision (docs/site-format.md,
 * "Drift"): `alert` reports it, `correct` also re-applies it, `ignore` neither. `resources` sets the mode of
 * single resources of the cluster's nodes by key (`file:/etc/motd: ignore`) over the cluster's.
 */
export const DriftMode = z.enum(['alert', 'correct', 'ignore']);
export type DriftMode = z.infer<typeof DriftMode>;
export const DriftPolicy = z.strictObject({
  mode: DriftMode.default('alert'),
  resources: z.record(ResourceRef, DriftMode).default({}),
});
export type DriftPolicy = z.infer<typeof DriftPolicy>;

export const ClusterSpec = z.strictObject({
  nodes: NodeSelector,
  params: z.record(z.string(), z.json()).default({}),
  steps: z.array(ClusterStep).min(1),
  rollout: RolloutPolicy.default({}),
  drift: DriftPolicy.default({ mode: 'alert', resources: {} }),
  /** DNS records for the cluster's nodes (`<node>.<zone>` A/AAAA) in a declared zone. */
  dns: z
    .strictObject({
      zone: Name,
      nodeRecords: z.boolean().default(true),
      /**
       * Records besides the nodes' (a name for the VIP, a CNAME, SRV, TXT). `name` is relative to the zone
       * (`@`: the apex) or absolute with a trailing dot; `value` a literal in presentation form, or
       * `{address: NAME}`: the address the cluster's `addresses` entry NAME was allocated.
       */
      records: z.array(DnsRecordEntry).default([]),
    })
    .optional(),
  /**
   * Addresses allocated from pools (docs/site-format.md, "Addresses"): a plain cluster address, a VIP that
   * one node holds (`holder`), or one address per node (`perNode`); the held ones are brought up on
   * `interface` as `address` resources, and the nodes holding them read them as `{fact: allocated.<name>}`.
   */
  addresses: z.array(ClusterAddress).default([]),
  /**
   * Names every member may have in its certificates besides its own (`etcd.{{ zone }}` for the members of an
   * etcd cluster behind one name); `{{ zone }}` is the cluster's DNS zone (`dns.zone`).
   */
  certificates: z.strictObject({ memberNames: z.array(MemberName).default([]) }).optional(),
});

// ---------------------------------------------------------------- Services

export const IPPoolSpec = z.strictObject({
  cidr: z.union([z.cidrv4(), z.cidrv6()]),
  /** First and last allocatable addresses; default: the whole CIDR less network and broadcast. */
  range: z.strictObject({ start: z.union([z.ipv4(), z.ipv6()]), end: z.union([z.ipv4(), z.ipv6()]) }).optional(),
  gateway: z.union([z.ipv4(), z.ipv6()]).optional(),
  reserved: z.array(z.union([z.ipv4(), z.ipv6()])).default([]),
  /**
   * How long a released address stays held (not handed to anyone else; its old holder gets it back if it
   * returns): ARP caches, DNS TTLs and firewall rules elsewhere may still point at it.
   */
  releaseAfter: Duration.default('24h'),
});

export const DNSZoneSpec = z.strictObject({
  zone: z.string().regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\.?$/, 'must be a DNS zone name such as "site.example.net"'),
  /**
   * The authoritative server updated with RFC 2136 signed by TSIG: at `address`, or run by a node of the site
   * (`node`, at its address, as its `service`): the zone's changes then wait for that service in the plan.
   * Exactly one of `address` and `node` (checked at load, controller/load/zone-servers.ts).
   */
  server: z.strictObject({
    address: z.union([z.ipv4(), z.ipv6(), z.hostname()]).optional(),
    node: Name.optional(),
    service: Name.optional(),
    port: Port.default(53),
  }),
  /** Name of the TSIG key in the controller's secret store. */
  tsigKeySecret: SecretName,
  ttl: z.number().int().min(1).default(300),
  /** `sync`: records underlay wrote that Git no longer names are deleted; `upsert-only`: they are kept. */
  policy: z.enum(['sync', 'upsert-only']).default('sync'),
});

export const CertificateAuthoritySpec = z.strictObject({
  /** The CA certificate (public part), PEM, inline or `certificateFile` relative to the document. */
  certificate: z.string().optional(),
  certificateFile: z.string().optional(),
  /** Name of the CA private key in the controller's secret store; never in Git. */
  keySecret: SecretName,
  policy: z
    .strictObject({
      /** Only nodes matching this selector may get certificates. */
      nodes: NodeSelector.default({}),
      allowedDnsSuffixes: z.array(z.string()).default([]),
      /** Subject IPs must be node addresses or inside one of these pools. */
      allowedPools: z.array(Name).default([]),
      maxValidityDays: z.number().int().min(1).max(825).default(90),
      /** The key types the CA signs (ECDSA P-256 and RSA of at least 2048 bits only). */
      keyTypes: z.array(z.enum(['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'])).default(['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096']),
      /** The usages it grants; `peer` needs both. */
      usages: z.array(z.enum(['server', 'client'])).default(['server', 'client']),
    })
    .default({ nodes: {}, allowedDnsSuffixes: [], allowedPools: [], maxValidityDays: 90, keyTypes: ['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096'], usages: ['server', 'client'] }),
});

// ---------------------------------------------------------------- Documents
const doc = <K extends string, S extends z.ZodType>(kind: K, spec: S) =>
  z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal(kind), metadata: Metadata, spec });

export const SiteDoc = doc('Site', SiteSpec);
export const NodeDoc = doc('Node', NodeSpec);
export const ModuleDoc = doc('Module', ModuleSpec);
export const ClusterDoc = doc('Cluster', ClusterSpec);
export const IPPoolDoc = doc('IPPool', IPPoolSpec);
export const DNSZoneDoc = doc('DNSZone', DNSZoneSpec);
export const CertificateAuthorityDoc = doc('CertificateAuthority', CertificateAuthoritySpec);

export const DOCUMENT_SCHEMAS = {
  Site: SiteDoc,
  Node: NodeDoc,
  Module: ModuleDoc,
  Cluster: ClusterDoc,
  IPPool: IPPoolDoc,
  DNSZone: DNSZoneDoc,
  CertificateAuthority: CertificateAuthorityDoc,
} as const;
export type Kind = keyof typeof DOCUMENT_SCHEMAS;
export const KINDS = Object.keys(DOCUMENT_SCHEMAS) as Kind[];

export type SiteDoc = z.infer<typeof SiteDoc>;
export type NodeDoc = z.infer<typeof NodeDoc>;
export type ModuleDoc = z.infer<typeof ModuleDoc>;
export type ClusterDoc = z.infer<typeof ClusterDoc>;
export type IPPoolDoc = z.infer<typeof IPPoolDoc>;
export type DNSZoneDoc = z.infer<typeof DNSZoneDoc>;
export type CertificateAuthorityDoc = z.infer<typeof CertificateAuthorityDoc>;
export type ModuleResource = z.infer<typeof ModuleResource>;
export type InputSource = z.infer<typeof InputSource>;
export type ClusterStep = z.infer<typeof ClusterStep>;
