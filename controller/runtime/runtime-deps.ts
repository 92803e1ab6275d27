/**
 * Everything effectful a reconcile uses, passed in by its driver: where revisions come from, how nodes are
 * reached, the store, time, and where events go. Steps reach nothing else, so a test drives a reconcile
 * with fakes and a driver chooses its own (the CLI its flags, the controller loop its configuration).
 */
import type { EffectsLookup } from '../../reconcilers/effects.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import type { ObservedRecord, RecordWriter } from '../../reconcilers/managed-record.js';
import type { FaultHook } from '../apply/fault-injection.js';
import type { ManagedRecordKeeper } from '../apply/managed-record-keeper.js';
import type { Clock, Timers } from '../clock.js';
import type { ErrorRecord } from '../model/errors.js';
import type { CertificateIssuer } from '../pki/certificate-issuer.js';
import type { SecretSource } from '../secrets/secret-source.js';
import type { Revision } from '../source/revision.js';
import type { RunWriter, SiteLocks } from '../store/store.js';
import type { RolloutStates } from '../store/rollout-states.js';
import type { ServiceTargetProviders } from '../targets/target-providers.js';
import type { Transport } from '../transport/transport.js';
import type { ReconcileDeps } from './reconcile.js';
import type { ReconcileEvent } from './reconcile-event.js';
import type { ReconcileStep } from './reconcile-step.js';
import type { ReconcileState } from './reconcile-state.js';

export interface SourceReader {
  read(): Promise<Revision>;
  /** The same repository at a given commit: what an automatic rollback re-applies (ADR 0026). Without it, apply does not roll back. */
  at?(commit: string): Promise<Revision>;
}

/**
 * Something opened on first use, from what the reconcile knows by then: the transport needs the revision
 * (its SSH settings), the store the site id. Its driver closes it.
 */
export interface Opener<A, T> {
  get(arg: A): Promise<T>;
}

/** The keeper of the nodes' managed records for one apply (its site and fencing token), from the records as observed. */
export type ManagedRecordFactory = (writer: RecordWriter, observed: (node: string) => ObservedRecord | undefined) => ManagedRecordKeeper;

export interface RuntimeDeps extends ReconcileDeps<ReconcileState> {
  registry: KindRegistry;
  source: SourceReader;
  transport: Opener<Revision, Transport>;
  /**
   * How the service targets of a site (its id) are read and written: the IP pool ledger, zones (ADR 0010).
   * Without it, pools and zones are not observed and apply fails their changes (NoTargetProvider).
   */
  targets?: Opener<string, ServiceTargetProviders>;
  /** The site's certificate issuer (its CAs' keys from the secret store, serials in the store), for apply; by site id. */
  issuer?: Opener<string, CertificateIssuer>;
  /**
   * The secrets of a site (its id): what observe compares secret files with, and what apply delivers.
   * Without it secret files are not compared, and apply fails their changes.
   */
  secrets?: Opener<string, SecretSource>;
  /** The site's runs and journal, and its lock (apply only). */
  store: Opener<string, RunWriter & SiteLocks & RolloutStates>;
  effects: EffectsLookup;
  managedRecord: ManagedRecordFactory;
  clock: Clock;
  timers: Timers;
  /** Nodes observed and changed at once. */
  concurrency: number;
  onEvent(event: ReconcileEvent): void;
  /** The controller's SIGTERM: once it answers, apply begins no further change (ApplyPlanOptions.stop). */
  stop?: { requested(): ErrorRecord | undefined };
  /** Crash tests only (fault-injection.ts). */
  fault?: FaultHook;
}

export type RuntimeStep = ReconcileStep<ReconcileState, RuntimeDeps>;
