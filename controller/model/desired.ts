/**
 * What the site wants, fully evaluated: per node, the concrete resources (templates rendered, inputs
 * resolved), and the service resources (address allocations, DNS records). Produced by resolve (pure).
 */
import type { RolloutPolicy } from './rollout.js';
import type { SourceLocation } from './source-location.js';
import type { RevisionInfo } from './revision.js';
import type { Target } from './target.js';
import type { NodeGates } from './health-gate.js';

/**
 * A rendered resource's spec. The model knows only its kind: what a spec holds is its kind's business
 * (reconcilers/<kind>/), and every stage reaches it through the kind registry.
 */
export interface ResourceSpec {
  readonly kind: string;
}

/** Why a resource exists: the cluster step and module that rendered it, and where in Git. */
export interface ResourceOrigin {
  cluster: string;
  step: string;
  module: string;
  location: SourceLocation;
}

export interface DesiredResource {
  /** `kind:identity`, unique on its node: 'file:/etc/etcd/etcd.conf', 'service:etcd', 'command:init-db'. */
  key: string;
  spec: ResourceSpec;
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
  /**
   * Set when the node is decommissioned (Node.spec.decommission): it belongs to no cluster and has no
   * resources; `leaving` are the clusters whose selectors still match it, whose staying members change first.
   */
  decommission?: { leaving: string[] };
  /** Sorted by key. */
  resources: DesiredResource[];
}

export interface DesiredServiceResource {
  /** 'ip:<pool>/<name>' or 'dns:<zone>/<name>/<type>'. */
  key: string;
  /** Where it lives: its IP pool or DNS zone. Plans show it in the node column as 'pool:<name>', 'zone:<name>'. */
  target: Target;
  spec: ResourceSpec;
  origin: ResourceOrigin;
}

export interface DesiredCluster {
  name: string;
  nodes: string[];
  /** The cluster's effective rollout policy (its own fields over the Site's over the defaults). */
  rollout: RolloutPolicy;
  /** Members' health gates and drain steps, by node; absent when no member declares any (service-up only, as before gates). */
  gates?: Record<string, NodeGates>;
}

/** A DNSZone of the site: where its records are read and written, and whether what Git no longer names goes. */
export interface DesiredZone {
  /** The zone's DNS name, absolute (trailing dot). */
  apex: string;
  server: { address: string; port: number };
  /**
   * When a node of the site runs the server: that node and its resource serving the zone (`service:named`).
   * The zone's changes wait for that resource's change in the same plan, and while the node does not run it
   * yet, the zone is observed as not served (empty) rather than unreadable.
   */
  servedBy?: { node: string; resource: string };
  /** The TSIG key's name in the controller's secret store: the key itself is never in Git or the plan. */
  tsigKeySecret: string;
  /** `sync`: owned records Git no longer names are deleted; `upsert-only`: never deleted. */
  policy: 'sync' | 'upsert-only';
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
  /** Every DNSZone of the site by document name, also one no record names (its owned records are observed and pruned). */
  zones?: Record<string, DesiredZone>;
}

