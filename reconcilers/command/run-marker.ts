/**
 * The marker a tracked command run leaves on its node (ADR 0006), and how a node-side script tells what
 * became of it. Under `/var/lib/underlay/commands/`, per command name:
 *
 *   <name>.json     the marker, one line, written atomically by the run itself before the command starts:
 *                   {"bootId","hash","pid","planHash","runId","startTime","startedAt","timeoutSeconds"}
 *   <name>.status   the command's exit status, written atomically when it ended
 *   <name>.out/.err what it printed (read back capped)
 *
 * A run is `running` while its boot is the node's current boot and its pid is alive with the same start time
 * (field 22 of /proc/<pid>/stat, so a reused pid is not mistaken for it); `finished` once the status exists;
 * otherwise `lost`: the node rebooted under it, or it died without writing a status.
 */
import { z } from 'zod';
import { NODE_STATE_DIR } from '../managed-record-format.js';

export const COMMAND_RUNS_DIR = `${NODE_STATE_DIR}/commands`;

export const RunMarker = z.object({
  bootId: z.string(),
  /** resourceHash of the command definition the run executes. */
  hash: z.string(),
  pid: z.number().int(),
  planHash: z.string(),
  runId: z.string(),
  startTime: z.string(),
  startedAt: z.string(),
  timeoutSeconds: z.number().int().positive(),
});
export type RunMarker = z.infer<typeof RunMarker>;

export type RunState = 'none' | 'running' | 'finished' | 'lost';
const STATES: readonly string[] = ['none', 'running', 'finished', 'lost'];

/** What a node-side script found about one command's run. */
export interface RunReport {
  state: RunState;
  /** Absent when there is no marker, or it could not be read. */
  marker?: RunMarker;
  /** The exit status of a finished run. */
  exitCode?: number;
  /** Why a run is lost. */
  lost?: 'rebooted' | 'died' | 'unreadable';
}

/**
 * sh functions, used by the probe and by the scripts that start and wait for runs. `run_state DIR NAME` sets
 * rs_state (none|running|finished|lost), rs_marker (the marker line), rs_hash, rs_timeout, rs_code (a
 * finished run's exit status) and rs_why (rebooted|died, for a lost one). They fork nothing: a wait polls them.
 * `run_field LINE KEY` reads a member of the one-line marker this format writes (it is no JSON parser).
 */
export const RUN_STATE_FUNCTIONS = `run_field() {
  case $1 in
  *\\"$2\\":*) rf=\${1#*\\"$2\\":}; rf=\${rf%%[,\\}]*}; rf=\${rf#\\"}; rf=\${rf%\\"} ;;
  *) rf= ;;
  esac
}
proc_start() {
  ps_start=
  [ -r "/proc/$1/stat" ] || return 0
  IFS= read -r ps_line < "/proc/$1/stat" || return 0
  ps_line=\${ps_line##*) }
  set -f; set -- $ps_line; set +f
  ps_start=\${20:-}
}
run_finished() {
  [ -f "$1/$2.status" ] || return 1
  rs_state=finished rs_code=
  IFS= read -r rs_code < "$1/$2.status" || true
}
run_state() {
  rs_state=none rs_marker= rs_hash= rs_timeout= rs_code= rs_why=
  [ -f "$1/$2.json" ] || return 0
  IFS= read -r rs_marker < "$1/$2.json" || true
  run_field "$rs_marker" hash; rs_hash=$rf
  run_field "$rs_marker" timeoutSeconds; rs_timeout=$rf
  if run_finished "$1" "$2"; then return 0; fi
  rs_boot=
  IFS= read -r rs_boot < /proc/sys/kernel/random/boot_id || true
  run_field "$rs_marker" bootId
  if [ -z "$rs_boot" ] || [ "$rf" != "$rs_boot" ]; then rs_state=lost rs_why=rebooted; return 0; fi
  run_field "$rs_marker" pid
  case $rf in ''|*[!0-9]*) ps_start= ;; *) proc_start "$rf" ;; esac
  run_field "$rs_marker" startTime
  if [ -n "$rf" ] && [ "$ps_start" = "$rf" ]; then rs_state=running; return 0; fi
  # It may have ended between the two looks.
  if run_finished "$1" "$2"; then return 0; fi
  rs_state=lost rs_why=died
}
`;

/** The marker, or undefined when it is not one this format wrote (a torn or edited file). */
export function parseRunMarker(text: string): RunMarker | undefined {
  try {
    return RunMarker.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Reads the fields `run_state` reported (state, marker line, exit code, why lost). A marker that does not
 * parse makes the run `lost` (unreadable): nothing can be adopted from it, and it cannot be waited for.
 */
export function parseRunReport(fields: readonly string[], where: string): RunReport {
  const [state, markerText = '', code = '', why = ''] = fields;
  if (state === undefined || !STATES.includes(state)) throw new RangeError(`${where}: unknown run state ${JSON.stringify(state)}`);
  if (state === 'none') return { state: 'none' };
  const marker = parseRunMarker(markerText);
  if (!marker) return { state: 'lost', lost: 'unreadable' };
  if (state === 'finished') {
    if (!/^\d+$/.test(code)) throw new RangeError(`${where}: run finished with an unreadable exit status ${JSON.stringify(code)}`);
    return { state, marker, exitCode: Number(code) };
  }
  if (state === 'lost') return { state, marker, lost: why === 'rebooted' ? 'rebooted' : 'died' };
  return { state: state as 'running', marker };
}

/** For messages and plan reasons: when and by what the run was started. */
export function describeRunStart(marker: RunMarker): string {
  const run = marker.runId === '' ? '' : ` by run ${marker.runId}`;
  return `started ${marker.startedAt}${run}`;
}
