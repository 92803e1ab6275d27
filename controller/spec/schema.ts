/**
 * The site repository format, v1alpha1: the one source of truth. Types are inferred from these schemas,
 * the published JSON Schema (`underlay schema`) and the CRDs are generated from them.
 */
import { z } from 'zod';

export const API_VERSION = 'underlay.dev/v1alpha1';

/** DNS-1123 label: names become file names, unit names and resource ids, so keep them boring. */
export const Name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, -; at most 63 characters)');

const LabelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, 'invalid label key');
const LabelValue = z.string().regex(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/, 'invalid label value');
export const Labels = z.record(LabelKey, LabelValue);

export const Metadata = z.strictObject({
  name: Name,
  labels: Labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A name in the controller's secret store (a file name in the embedded mode): never a path. */
export const SecretName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,252}$/, 'must be a plain secret name (a-z, 0-9, ".", "_", "-")');

/** A TCP or UDP port: every port field of the format is one of these, so none takes 0, -1 or 70000. */
export const Port = z.number().int().min(1).max(65535);

/** Octal file mode as a string, so YAML never turns 0644 into 420. */
export const FileMode = z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode string such as "0644"');

/** A POSIX account or group name (also used unquoted in runit run scripts, so it stays strict). */
export const Account = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a POSIX user or group name');

/**
 * An absolute path on a node. `..` segments are refused here; whether the path lies inside the site's
 * allowed roots is checked by the loader (it needs the Site document).
 */
export const NodePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments')
  .refine((p) => !/[\n\r]/.test(p), 'must not contain line breaks');

/** Selects nodes by labels and roles; every condition must hold. An empty selector selects all nodes. */
export const NodeSelector = z.strictObject({
  matchLabels: Labels.optional(),
  roles: z.array(Name).optional(),
  names: z.array(Name).optional(),
});
export type NodeSelector = z.infer<typeof NodeSelector>;

// ---------------------------------------------------------------- Site
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
});

// ---------------------------------------------------------------- Module
export const InputType = z.enum(['string', 'integer', 'number', 'boolean', 'list', 'map']);

export const ModuleInput = z.strictObject({
  type: InputType,
  default: z.json().optional(),
  description: z.string().optional(),
});

/** Template text: Liquid, rendered with `inputs` and `node` in scope; undefined variables are errors. */
const Template = z.string();

/**
 * Bytes as base64 (RFC 4648: A-Z a-z 0-9 + /, padded with =). Spaces and line breaks are ignored, so the output
 * of `base64` can be pasted as a YAML block.
 */
export const Base64 = z.string().refine((s) => {
  const compact = s.replace(/\s+/g, '');
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}, 'must be base64 (A-Z, a-z, 0-9, "+", "/"), padded with "=" to a multiple of 4 characters');

export const FileResource = z.strictObject({
  path: NodePath,
  /**
   * Exactly one of: `content`, an inline template; `template`, naming a template file relative to the module
   * document; `contentBase64`, bytes shipped exactly as given (not a template), for binary files.
   */
  content: Template.optional(),
  template: z.string().optional(),
  contentBase64: Base64.optional(),
  mode: FileMode.default('0644'),
  owner: Account.default('root'),
  group: Account.default('root'),
});

export const DirectoryResource = z.strictObject({
  path: NodePath,
  mode: FileMode.default('0755'),
  owner: Account.default('root'),
  group: Account.default('root'),
});

/** A reference to another resource of the same module: `file:/etc/x.conf`, `directory:/var/lib/x`, `service:x`. */
export const ResourceRef = z.string().regex(/^(file|directory|service|command|certificate):.+$/, 'must look like kind:key, e.g. "file:/etc/app.conf"');

export const ServiceResource = z.strictObject({
  name: Name,
  /** Absolute path of the program; arguments are passed as argv, never through a shell. */
  command: NodePath,
  args: z.array(Template).default([]),
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid environment variable name'), Template).default({}),
  user: Account.default('root'),
  restart: z.enum(['always', 'on-failure', 'never']).default('always'),
  /** Resources whose change restarts this service (files it reads). */
  restartOnChangeOf: z.array(ResourceRef).default([]),
  enabled: z.boolean().default(true),
});

export const CommandResource = z.strictObject({
  name: Name,
  argv: z.array(Template).min(1),
  /** Skip when this path exists on the node. */
  creates: NodePath.optional(),
  /** Skip when this argv exits 0 on the node. */
  unless: z.array(Template).min(1).optional(),
  /** Run again whenever one of these resources changes. */
  onChangeOf: z.array(ResourceRef).default([]),
});

/** Declared now; issuing (CSR on the node, signing by the CA policy) comes with the certificate reconciler. */
export const CertificateResource = z.strictObject({
  name: Name,
  ca: Name,
  commonName: Template,
  dnsNames: z.array(Template).default([]),
  ipAddresses: z.array(Template).default([]),
  usages: z.array(z.enum(['server', 'client', 'peer'])).default(['server']),
  keyPath: NodePath,
  certPath: NodePath,
  /** Key stays on the node: generated there, only the CSR leaves. */
  keyType: z.enum(['ed25519', 'ecdsa-p256', 'rsa-2048']).default('ecdsa-p256'),
  validityDays: z.number().int().min(1).max(825).default(90),
});

/** One entry of a module's `resources:` list: exactly one kind key. */
export const ModuleResource = z.union([
  z.strictObject({ file: FileResource }),
  z.strictObject({ directory: DirectoryResource }),
  z.strictObject({ service: ServiceResource }),
  z.strictObject({ command: CommandResource }),
  z.strictObject({ certificate: CertificateResource }),
]);

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

export const ClusterSpec = z.strictObject({
  nodes: NodeSelector,
  params: z.record(z.string(), z.json()).default({}),
  steps: z.array(ClusterStep).min(1),
  rollout: RolloutPolicy.default({ batchSize: 1, failureBudget: 0 }),
  drift: z.strictObject({ mode: z.enum(['alert', 'correct']).default('alert') }).default({ mode: 'alert' }),
  /** DNS records for the cluster's nodes (`<node>.<zone>` A/AAAA) in a declared zone. */
  dns: z.strictObject({ zone: Name, nodeRecords: z.boolean().default(true) }).optional(),
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
