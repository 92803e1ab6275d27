/**
 * What the service reconciler needs from a service manager. The definition files come from
 * renderServiceDefinition (via the plan), so what was planned is what gets written.
 */
import type { NodeApplyContext, HealthResult } from '../kind-effects.js';
import type { DefinitionFile } from './definition.js';

export interface ServiceInstall {
  name: string;
  files: DefinitionFile[];
  enabled: boolean;
  /** The definition changed under a running service: restart it so the new one is what runs. */
  restart: boolean;
  /** Awaited after the definition is written, before the service is started or restarted (crash tests). */
  beforeStart?: () => Promise<void>;
}

export interface ServiceBackend {
  /** Writes the definition, enables or disables it, and for an enabled service confirms it runs. */
  install(ctx: NodeApplyContext, install: ServiceInstall): Promise<void>;
  /** Restarts and confirms it runs with a new process. */
  restart(ctx: NodeApplyContext, name: string): Promise<void>;
  /**
   * Reloads a running service in place (its declared signal or command) and confirms the same process still
   * runs a moment later; one that is not running is started instead, which is what `started` says.
   */
  reload(ctx: NodeApplyContext, name: string): Promise<'reloaded' | 'started'>;
  /** Stops, disables and removes the definition. Idempotent. */
  remove(ctx: NodeApplyContext, name: string): Promise<void>;
  /**
   * The rollout health gate: is the service running now, after its whole batch? A restart already waited
   * for it to come up; this catches a service that came up and then died (a crash loop, a bad config read late).
   */
  health(ctx: NodeApplyContext, name: string): Promise<HealthResult>;
}

/** Service names become paths and unit names; the schema already says so, this guards hand-made plans. */
export function assertServiceName(name: string): void {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new TypeError(`invalid service name ${JSON.stringify(name)}`);
}

/** The exit status of a reload script that found the service not running: it is started instead. */
export const RELOAD_NOT_RUNNING = 3;

/**
 * Bound of each node-side wait loop, in 0.1 s steps (plus the poll's own cost): runsvdir rescans every
 * 5 s, and a started service must then stay up for 1 s to count as running.
 */
export const CONFIRM_POLLS = 120;
