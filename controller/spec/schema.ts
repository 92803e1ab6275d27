/**
 * The site repository format, v1alpha1: the one source of truth. Types are inferred from these schemas,
 * the published JSON Schema (`underlay schema`) and the CRDs are generated from them.
 */
import { z } from 'zod';
import { registry } from '../../reconcilers/registry.js';
import { Account, Name, NodePath, SecretName, Template } from './primitives.js';

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
  /** Input values: literals or InputSource references. */
  with: z.record(z.string(), z.json()).default({}),
});

export const RolloutPolicy = z.strictObject({
  /** Nodes changed at once when a change is disruptive (restarts). */
  batchSize: z.number().int().min(1).default(1),
  /** Failed nodes tolerated before the circuit breaker halts the rollout. */
  failureBudget: z.number().int().min(0).default(0),
});

const DnsRecordName = z.string().regex(/^(@|\*|(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?\.?)$/, 'must be a DNS name relative to the zone ("etcd", "@") or absolute with a trailing dot');
export const DnsRecordEntry = z.strictObject({
  name: DnsRecordName,
  type: z.enum(['A', 'AAAA', 'CNAME', 'SRV', 'TXT', 'PTR']),
  /** A: an IPv4 address; CNAME/PTR: a name; SRV: "PRIORITY WEIGHT PORT TARGET"; TXT: the text. */
  value: z.union([z.string().min(1), z.strictObject({ address: Name })]),
  ttl: z.number().int().min(1).optional(),
});

export const ClusterSpec = z.strictObject({
  nodes: NodeSelector,
  params: z.record(z.string(), z.json()).default({}),
  steps: z.array(ClusterStep).min(1),
  rollout: RolloutPolicy.default({ batchSize: 1, failureBudget: 0 }),
  drift: z.strictObject({ mode: z.enum(['alert', 'correct']).default('alert') }).default({ mode: 'alert' }),
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
  /** Addresses allocated from pools, e.g. a load-balancer VIP; `{param: ...}` cannot name them, `{fact: ...}` can't either: they appear in plan as allocations. */
  addresses: z.array(z.strictObject({ name: Name, pool: Name })).default([]),
});

// ---------------------------------------------------------------- Services
export const IPPoolSpec = z.strictObject({
  cidr: z.union([z.cidrv4(), z.cidrv6()]),
  /** First and last allocatable addresses; default: the whole CIDR less network and broadcast. */
  range: z.strictObject({ start: z.union([z.ipv4(), z.ipv6()]), end: z.union([z.ipv4(), z.ipv6()]) }).optional(),
  gateway: z.union([z.ipv4(), z.ipv6()]).optional(),
  reserved: z.array(z.union([z.ipv4(), z.ipv6()])).default([]),
});

export const DNSZoneSpec = z.strictObject({
  zone: z.string().regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\.?$/, 'must be a DNS zone name such as "site.example.net"'),
  /** The authoritative server updated with RFC 2136 (nsupdate) signed by TSIG. */
  server: z.strictObject({ address: z.union([z.ipv4(), z.ipv6(), z.hostname()]), port: Port.default(53) }),
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
    })
    .default({ nodes: {}, allowedDnsSuffixes: [], allowedPools: [], maxValidityDays: 90 }),
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
