/**
 * Fault injection for crash tests: deterministic kill points in apply, so a test can SIGKILL the controller
 * at exactly one place without guessing at timing. Inert unless `UNDERLAY_FAULT_PAUSE` is set.
 *
 *   UNDERLAY_FAULT_PAUSE=<phase>:<change-id glob>   e.g. `after:node1/file:/etc/etcd/*`
 *   UNDERLAY_FAULT_MARKER=<file>                    written when the pause is reached
 *
 * Phases: `before` (journalled `started`, nothing on the node touched yet), `during` (inside the
 * reconciler: a file's temporary copy written but not renamed; a service's definition written, just before
 * it is (re)started; a command started on the node, not yet waited for), `after` (the change and its
 * managed-record update done, `succeeded` not journalled). Inside the change's first managed-record update:
 * `record-staged` (the new record on the node, verified, not renamed) and `record-truncated` (fewer bytes
 * sent than announced, as when the controller dies mid-send; the node refuses them).
 * `*` in the glob matches any run of characters, `/` included. The first change that reaches the point
 * pauses there for good: the process writes `<phase> <change id>` to the marker file and never goes on.
 */
import { writeFileSync } from 'node:fs';

export type FaultPhase = 'before' | 'during' | 'after' | 'record-staged' | 'record-truncated';

export interface FaultHook {
  /** Whether `phase` of this change is where the test wants the process to stop. */
  armed(phase: FaultPhase, changeId: string): boolean;
  /** Stops for good when armed; resolves at once otherwise. */
  reach(phase: FaultPhase, changeId: string): Promise<void>;
}

const PHASES: readonly string[] = ['before', 'during', 'after', 'record-staged', 'record-truncated'];

function globRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** The hook `UNDERLAY_FAULT_PAUSE` asks for, or undefined when it is unset. A malformed value is an error, not ignored. */
export function faultHookFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  /** The CLI holds the process at the pause; a unit test in a shared worker must not. */
  holdProcess = true,
): FaultHook | undefined {
  const spec = env.UNDERLAY_FAULT_PAUSE;
  if (spec === undefined || spec === '') return undefined;
  const colon = spec.indexOf(':');
  const phase = spec.slice(0, colon);
  const marker = env.UNDERLAY_FAULT_MARKER;
  if (colon < 0 || !PHASES.includes(phase) || colon === spec.length - 1) {
    throw new Error(`UNDERLAY_FAULT_PAUSE must be <${PHASES.join('|')}>:<change-id glob>, got ${JSON.stringify(spec)}`);
  }
  if (marker === undefined || marker === '') throw new Error('UNDERLAY_FAULT_PAUSE needs UNDERLAY_FAULT_MARKER (the file written at the pause)');
  const pattern = globRegExp(spec.slice(colon + 1));
  let reached = false;
  const armed = (p: FaultPhase, changeId: string): boolean => !reached && p === phase && pattern.test(changeId);
  return {
    armed,
    reach(p, changeId) {
      if (!armed(p, changeId)) return Promise.resolve();
      reached = true;
      writeFileSync(marker, `${p} ${changeId}\n`);
      // A pending promise alone would let Node exit once the event loop drains; the timer keeps it waiting.
      if (holdProcess) setInterval(() => undefined, 1 << 30);
      return new Promise<void>(() => undefined);
    },
  };
}
