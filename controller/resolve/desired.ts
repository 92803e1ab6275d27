/**
 * What the site wants, fully evaluated: per node, the concrete resources (templates rendered, inputs
 * resolved), and the service resources (address allocations, DNS records). Produced by resolve (pure).
 */
import type { SourceLocation } from '../spec/diagnostic.js';
import type { RevisionInfo } from '../spec/spec.js';

export type NodeResourceKind = 'file' | 'directory' | 'service' | 'command' | 'certificate';
export type ServiceResourceKind = 'ip' | 'dns';
export type ResourceKind = NodeResourceKind | ServiceResourceKind;

/** Why a resource exists: the cluster step and module that rendered it, and where in Git. */
export interface ResourceOrigin {
  cluster: string;
  step: string;
  module: string;
  location: SourceLocation;
}

interface DesiredFileAttributes {
  kind: 'file';
  path: string;
  /** sha256 hex of the bytes written (the UTF-8 content, or the decoded contentBase64): what observe compares. */
  sha256: string;
  mode: string; // normalised to 4 digits, e.g. '0644'
  owner: string;
  group: string;
}

/** A file rendered from a template: text. */
export interface DesiredTextFile extends DesiredFileAttributes {
  content: string;
}

/** A file given as `contentBase64`: bytes (canonical base64 here), never rendered, shown in plans by size and sha256. */
export interface DesiredBinaryFile extends DesiredFileAttributes {
  contentBase64: string;
}

export type DesiredFile = DesiredTextFile | DesiredBinaryFile;

/** Bytes on the node, whichever way the content was given. */
export const fileSize = (f: DesiredFile): number => ('content' in f ? Buffer.byteLength(f.content, 'utf8') : Buffer.byteLength(f.contentBase64, 'base64'));

export interface DesiredDirectory {
  kind: 'directory';
  path: string;
  mode: string;
  owner: string;
  group: string;
}

export interface DesiredService {
  kind: 'service';
  name: string;
  command: string;
  args: string[];
  environment: Record<string, string>;
  user: string;
  restart: 'always' | 'on-failure' | 'never';
  enabled: boolean;
  /** Resource keys on the same node whose change restarts this service. */
  restartOnChangeOf: string[];
}

export interface DesiredCommand {
  kind: 'command';
  name: string;
  argv: string[];
  creates?: string;
  unless?: string[];
  /** Resource keys on the same node whose change runs this command again. */
  onChangeOf: string[];
}

export interface DesiredCertificate {
  kind: 'certificate';
  name: string;
  ca: string;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  usages: ('server' | 'client' | 'peer')[];
  keyPath: string;
  certPath: string;
  keyType: 'ed25519' | 'ecdsa-p256' | 'rsa-2048';
  validityDays: number;
}

export type NodeResourceSpec = DesiredFile | DesiredDirectory | DesiredService | DesiredCommand | DesiredCertificate;

export interface DesiredResource {
  /** `kind:identity`, unique on its node: 'file:/etc/etcd/etcd.conf', 'service:etcd', 'command:init-db'. */
  key: string;
  spec: NodeResourceSpec;
  /**
   * Addresses (`node/key`) this resource must wait for: same-node ones (directory before file, file before
   * service, earlier steps) and cross-node ones (a step reading another node's step output).
   */
  dependsOn: string[];
  /** Disruptive changes (service restarts) go through rollout batches. */
  origin: ResourceOrigin;
}

export interface DesiredNode {
  name: string;
  address: string;
  port: number;
  user: string;
  hostKey: string;
  /** Name of the bastion node, if any. */
  via?: string;
  serviceManager: 'runit' | 'systemd';
  roles: string[];
  labels: Record<string, string>;
  /** Clusters this node belongs to, sorted. */
  clusters: string[];
  /** Sorted by key. */
  resources: DesiredResource[];
}

export interface DesiredIpAllocation {
  kind: 'ip';
  pool: string;
  /** Allocation name: `<cluster>.<address name>`. */
  name: string;
  /** The address: kept from the inventory when already allocated, else the lowest free one of the pool. */
  address: string;
}

export interface DesiredDnsRecord {
  kind: 'dns';
  /** The DNSZone document's name (as in the key and target). */
  zone: string;
  /** The zone's DNS name with trailing dot, and where to send the update: apply needs nothing but the plan. */
  apex?: string;
  server?: { address: string; port: number };
  tsigKeySecret?: string;
  /** Fully qualified owner name, with trailing dot. */
  name: string;
  type: 'A' | 'AAAA';
  value: string;
  ttl: number;
}

export interface DesiredServiceResource {
  /** 'ip:<pool>/<name>' or 'dns:<zone>/<name>/<type>'. */
  key: string;
  /** Where it lives: 'pool:<name>' or 'zone:<name>'. Plans show it in the node column. */
  target: string;
  spec: DesiredIpAllocation | DesiredDnsRecord;
  origin: ResourceOrigin;
}

export interface DesiredCluster {
  name: string;
  nodes: string[];
  batchSize: number;
  failureBudget: number;
}

export interface Desired {
  revision: RevisionInfo;
  /** The site's id (its Site document's name): the owner a node's managed record names. */
  site: string;
  /** Sorted by name. Nodes in no cluster are listed too (with no resources): they are still observed and pruned. */
  nodes: DesiredNode[];
  /** Sorted by key. */
  services: DesiredServiceResource[];
  clusters: DesiredCluster[];
}

export const resourceAddress = (node: string, key: string): string => `${node}/${key}`;
