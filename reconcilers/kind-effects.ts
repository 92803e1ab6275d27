/**
 * The effectful half of a kind's contract: carrying out a planned change on its target, and telling whether
 * what it restarted is healthy. Imported only by observe and apply (through reconcilers/effects.ts); the pure
 * facets are in kind.ts.
 */
import type { Change } from '../controller/model/change.js';
import type { CertificateIssuer } from '../controller/pki/certificate-issuer.js';
import type { SecretSource } from '../controller/secrets/secret-source.js';
import type { Ledger } from '../controller/store/ledger.js';
import type { ZoneTargetProvider } from '../controller/targets/zone-provider.js';
import type { NodeEndpoint, Transport } from '../controller/transport/transport.js';

/** What a node kind's apply works with: the node, reached over the transport. */
export interface NodeApplyContext {
  transport: Transport;
  node: NodeEndpoint;
  serviceManager: 'runit' | 'systemd';
  /** The site's secrets, read at apply time by the kinds that deliver one (secretFile); none: they fail. */
  secrets?: SecretSource;
  /** The apply run doing this (its journal id and plan hash): recorded in what a change leaves on the node. */
  run?: { id: number; planHash: string };
  /**
   * The site's certificate authorities, for certificate changes: signs a node's CSR under the terms the plan
   * carries, with the CA key from the secret store (ADR 0016). Absent: certificate changes fail (NoCertificateIssuer).
   */
  issuer?: CertificateIssuer;
  /**
   * Set only when a crash test armed the `during` fault point for this change (controller/apply/fault-
   * injection.ts): the reconciler awaits it at its most delicate moment (a file's temporary copy written but
   * not renamed; a service's definition written but not yet restarted), and it never resolves.
   */
  duringFault?: () => Promise<void>;
  /**
   * Set only when a crash test armed a fault point inside this change's managed-record update: the update
   * stops for good with the new record staged on the node but not renamed (`record-staged`), or after
   * sending fewer bytes than it announced (`record-truncated`), as a controller killed mid-send would.
   */
  recordFault?: { point: 'record-staged' | 'record-truncated'; reach: () => Promise<void> };
}

/** What an IP pool kind's apply works with: the pool's name and the store's ledger. */
export interface PoolApplyContext {
  pool: string;
  ledger: Ledger;
}

/** What a DNS zone kind's apply works with: the zone's name and its provider. */
export interface ZoneApplyContext {
  zone: string;
  provider: ZoneTargetProvider;
}

/** The context of each target type that has kinds with effects; apply builds it from the change's target. */
export type TargetApplyContext = NodeApplyContext | PoolApplyContext | ZoneApplyContext;

/** What apply did with one change: journalled as such, and shown. */
export interface ApplyOutcome {
  result: 'applied' | 'skipped';
  /** Why a change was skipped, or something the operator should know (e.g. a run adopted instead of repeated). */
  message?: string;
}

export const APPLIED: ApplyOutcome = { result: 'applied' };

export type HealthResult = { healthy: true } | { healthy: false; message: string };

/** `C`: the context of the kind's target type (a node kind's by default). */
export interface KindEffects<C extends TargetApplyContext = NodeApplyContext> {
  /** Carries out one planned change. Must be idempotent: a crash may make apply run it twice. */
  apply(ctx: C, change: Change): Promise<ApplyOutcome>;
  /**
   * Optional: carries out every change of this kind that one target has at one dependency level, at once
   * (in one round trip: a DNS zone's records in one UPDATE). None of them depends on another. Answers each
   * change's outcome or error by change id; a change it gives no answer for fails. Apply journals and records
   * each change as if it had been handed over alone (controller/apply/walk-items.ts groups them).
   */
  applyLevel?(ctx: C, changes: readonly Change[]): Promise<ReadonlyMap<string, ApplyOutcome | { error: unknown }>>;
  /**
   * The rollout health gate, after a batch: is what this change restarted running now? Kinds without it
   * are taken as healthy.
   */
  health?(ctx: C, change: Change): Promise<HealthResult>;
}
