/**
 * Running a command so that it outlives the controller without ever running twice at once (ADR 0006).
 *
 * `startRun` is one exec that, under a lock on the node, either attaches to the command's run that is still
 * going (started by an apply that died), adopts one that finished with success for the same definition, or
 * starts it: detached (setsid, no terminal, output to files, so the end of the SSH session does not end it),
 * under the node-side timeout (`timeout -s KILL`), by a runner that writes the marker before the command
 * starts and its exit status when it ends. `waitRun` is one exec that blocks on the node until the run is no
 * longer running, then returns its status and the tails of its output.
 */
import { ApplyError, SCRIPT_NAME } from '../node-exec.js';
import type { NodeApplyContext } from '../kind-effects.js';
import { FRAME_FUNCTIONS, parseFramedRecords } from '../framed-output.js';
import { COMMAND_RUNS_DIR, parseRunMarker, parseRunReport, type RunMarker, type RunReport, RUN_STATE_FUNCTIONS } from './run-marker.js';

/** Output kept per stream and returned to the controller: enough to see why, bounded for the journal. */
export const OUTPUT_TAIL_BYTES = 16 * 1024;

/** The exec that starts (or attaches) returns at once; it only waits for the runner to write its marker. */
const START_TIMEOUT_MS = 60_000;
/** Beyond the run's own timeout: the wait exec outlives the node-side kill by this much. */
const WAIT_SLACK_SECONDS = 30;

const RUNNER_NAME = 'underlay-command';

/** Runs detached: writes the marker, runs the command under the node-side timeout, writes the status. */
const RUNNER_SCRIPT = `set -u
dir=$1 name=$2 secs=$3 hash=$4 run=$5 plan=$6
shift 6
${RUN_STATE_FUNCTIONS}
base=$dir/$name
boot=
IFS= read -r boot < /proc/sys/kernel/random/boot_id || true
proc_start $$
printf '{"bootId":"%s","hash":"%s","pid":%s,"planHash":"%s","runId":"%s","startTime":"%s","startedAt":"%s","timeoutSeconds":%s}\\n' \\
  "$boot" "$hash" "$$" "$plan" "$run" "$ps_start" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$secs" > "$base.json.tmp"
mv -f -- "$base.json.tmp" "$base.json"
timeout -s KILL "$secs" "$@" < /dev/null > "$base.out" 2> "$base.err"
code=$?
printf '%s\\n' "$code" > "$base.status.tmp"
sync -- "$base.status.tmp" 2>/dev/null || true
mv -f -- "$base.status.tmp" "$base.status"
`;

// No LC_ALL here: the command inherits this environment, and these scripts frame only ASCII (markers, base64).
const START_SCRIPT = `set -eu
${FRAME_FUNCTIONS}${RUN_STATE_FUNCTIONS}
dir=$1 name=$2 secs=$3 hash=$4 run=$5 plan=$6 runner=$7
shift 7
# What commands print may be confidential: only root reads the runs.
mkdir -p -- "$dir"
chmod 0700 -- "$dir"
exec 9>>"$dir/.lock"
if command -v flock >/dev/null 2>&1; then flock -w 30 9; fi
run_state "$dir" "$name"
case $rs_state in
running) record attached "$rs_marker"; exit 0 ;;
finished) if [ "$rs_code" = 0 ] && [ "$rs_hash" = "$hash" ]; then record adopted "$rs_marker" "$rs_code"; exit 0; fi ;;
esac
if ! command -v setsid >/dev/null 2>&1; then echo 'setsid (util-linux) is missing: a command could not outlive the connection' >&2; exit 69; fi
base=$dir/$name
rm -f -- "$base.json" "$base.status" "$base.out" "$base.err"
setsid sh -c "$runner" ${RUNNER_NAME} "$dir" "$name" "$secs" "$hash" "$run" "$plan" "$@" < /dev/null > /dev/null 2>&1 9>&- &
i=0
while [ ! -f "$base.json" ]; do
  i=$((i + 1))
  # Within the exec's own timeout; a runner slower than this still cannot start a second copy.
  if [ "$i" -gt 800 ]; then echo "the runner of $name did not write its marker in 40 s" >&2; exit 70; fi
  sleep 0.05
done
IFS= read -r marker < "$base.json"
record started "$marker"
`;

const WAIT_SCRIPT = `set -u
${FRAME_FUNCTIONS}${RUN_STATE_FUNCTIONS}
dir=$1 name=$2 limit=$(($3 * 2)) tail=$4
# Most commands take milliseconds: the first second is polled finely, the rest every half second.
i=0 quick=20
while run_state "$dir" "$name"; [ "$rs_state" = running ] && [ "$i" -lt "$limit" ]; do
  if [ "$quick" -gt 0 ]; then quick=$((quick - 1)); sleep 0.05; continue; fi
  sleep 0.5
  i=$((i + 1))
done
out= err=
if [ "$rs_state" = finished ]; then
  out=$(tail -c "$tail" -- "$dir/$name.out" 2>/dev/null | base64 -w0) || out=
  err=$(tail -c "$tail" -- "$dir/$name.err" 2>/dev/null | base64 -w0) || err=
fi
record "$rs_state" "$rs_marker" "$rs_code" "$rs_why" "$out" "$err"
`;

export interface RunRequest {
  /** The command's name (a DNS label): its marker's file name. */
  name: string;
  /** resourceHash of the definition: a finished run is adopted only for the same definition. */
  hash: string;
  argv: readonly string[];
  timeoutSeconds: number;
}

/** Where the markers live: the node's state directory; a test running the scripts locally gives its own. */
export interface RunPlace {
  runsDir?: string;
}

export type RunStart =
  | { state: 'started'; marker: RunMarker }
  | { state: 'attached'; marker: RunMarker }
  | { state: 'adopted'; marker: RunMarker; exitCode: number };

export interface RunEnd {
  report: RunReport;
  stdout: Buffer;
  stderr: Buffer;
}

function framed(ctx: NodeApplyContext, what: string, stdout: Buffer): string[] {
  try {
    const records = parseFramedRecords(stdout);
    if (records.length !== 1 || records[0] === undefined) throw new Error(`expected one record, got ${records.length}`);
    return records[0];
  } catch (error) {
    throw new ApplyError(ctx.node.name, `${what}: unreadable answer (${error instanceof Error ? error.message : String(error)})`);
  }
}

function markerOf(ctx: NodeApplyContext, what: string, text: string | undefined): RunMarker {
  const marker = parseRunMarker(text ?? '');
  if (!marker) throw new ApplyError(ctx.node.name, `${what}: the run's marker is unreadable`);
  return marker;
}

export async function startRun(ctx: NodeApplyContext, request: RunRequest, place: RunPlace = {}): Promise<RunStart> {
  const what = `starting command ${request.name}`;
  const run = ctx.run;
  const args = [place.runsDir ?? COMMAND_RUNS_DIR, request.name, String(request.timeoutSeconds), request.hash, run ? String(run.id) : '', run?.planHash ?? '', RUNNER_SCRIPT];
  const result = await ctx.transport.exec(ctx.node, ['sh', '-c', START_SCRIPT, SCRIPT_NAME, ...args, ...request.argv], { timeoutMs: START_TIMEOUT_MS });
  if (result.code !== 0) {
    throw new ApplyError(ctx.node.name, `${what} failed (exit ${result.code}): ${result.stderr.toString('utf8').trim() || result.message || '(no output)'}`, result);
  }
  const [answer, markerText, code] = framed(ctx, what, result.stdout);
  const marker = markerOf(ctx, what, markerText);
  if (answer === 'attached') return { state: 'attached', marker };
  if (answer === 'adopted') return { state: 'adopted', marker, exitCode: Number(code) };
  if (answer === 'started') return { state: 'started', marker };
  throw new ApplyError(ctx.node.name, `${what}: unexpected answer ${JSON.stringify(answer)}`);
}

/** Blocks (on the node, in one exec) until the run is no longer running, or its own timeout has passed. */
export async function waitRun(ctx: NodeApplyContext, name: string, marker: RunMarker, place: RunPlace = {}): Promise<RunEnd> {
  const what = `waiting for command ${name}`;
  const seconds = marker.timeoutSeconds + WAIT_SLACK_SECONDS;
  const result = await ctx.transport.exec(
    ctx.node,
    ['sh', '-c', WAIT_SCRIPT, SCRIPT_NAME, place.runsDir ?? COMMAND_RUNS_DIR, name, String(seconds), String(OUTPUT_TAIL_BYTES)],
    { timeoutMs: (seconds + WAIT_SLACK_SECONDS) * 1000 },
  );
  if (result.code !== 0) throw new ApplyError(ctx.node.name, `${what} failed (exit ${result.code}): ${result.stderr.toString('utf8').trim() || result.message || '(no output)'}`, result);
  const fields = framed(ctx, what, result.stdout);
  return {
    report: parseRunReport(fields.slice(0, 4), what),
    stdout: Buffer.from(fields[4] ?? '', 'base64'),
    stderr: Buffer.from(fields[5] ?? '', 'base64'),
  };
}
