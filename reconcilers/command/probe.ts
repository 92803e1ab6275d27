/**
 * Observing a command: its guards (does `creates` exist, what does `unless` exit with, run in the session's
 * locale) and the tracked run an earlier apply may have left (run-marker.ts). Its answers add up to one
 * observation. A command removed from Git has nothing left to observe.
 */
import { shellCommand } from '../../controller/model/shell-quote.js';
import { flag, ProbeOutputError } from '../probe/answer-fields.js';
import type { NodeProbe, ProbeRequest } from '../kind.js';
import { COMMAND_RUNS_DIR, parseRunReport, RUN_STATE_FUNCTIONS } from './run-marker.js';
import type { DesiredCommand, ObservedCommand } from './schema.js';

function observedRun(request: ProbeRequest, answer: readonly string[]): ObservedCommand['run'] {
  let report;
  try {
    report = parseRunReport(answer, request.key);
  } catch (error) {
    throw new ProbeOutputError(error instanceof Error ? error.message : String(error));
  }
  if (report.state === 'none') return undefined;
  const m = report.marker;
  return {
    ...(report.exitCode !== undefined ? { exitCode: report.exitCode } : {}),
    ...(m ? { hash: m.hash } : {}),
    ...(report.lost !== undefined ? { lost: report.lost } : {}),
    ...(m ? { runId: m.runId, startedAt: m.startedAt } : {}),
    state: report.state,
  };
}

function parse(request: ProbeRequest, answer: readonly string[], previous: ObservedCommand | undefined): ObservedCommand {
  const base = previous ?? { kind: 'command' as const, name: request.args[0] ?? '' };
  if (request.tag === 'run') {
    const run = observedRun(request, answer);
    return run === undefined ? base : { ...base, run };
  }
  if (request.tag === 'creates') return { ...base, createsExists: flag(request, answer[0]) };
  const code = answer[0];
  if (code === undefined || !/^\d+$/.test(code)) throw new ProbeOutputError(`${request.key}: bad guard exit code ${JSON.stringify(code)}`);
  return { ...base, unlessExitCode: Number(code) };
}

export const commandProbe: NodeProbe<DesiredCommand, ObservedCommand> = {
  functions: RUN_STATE_FUNCTIONS,
  arms: {
    creates: `if [ -e "$b" ] || [ -L "$b" ]; then record R "$i" 1; else record R "$i" 0; fi`,
    // The guard is the one evaluated string: an argv quoted by shell-quote.ts, base64 so no line break can end the request.
    unless: `c=$(printf '%s' "$b" | base64 -d) && (
      if [ "\${session_lc_all+set}" = set ]; then LC_ALL=$session_lc_all; else unset LC_ALL; fi
      exec timeout 60 sh -c "$c"
    ) >/dev/null 2>&1 3<&-
    record R "$i" "$?"`,
    run: `run_state ${COMMAND_RUNS_DIR} "$a"
    record R "$i" "$rs_state" "$rs_marker" "$rs_code" "$rs_why"`,
  },
  requests(spec) {
    const out = [{ tag: 'run', args: [spec.name] }];
    if (spec.creates !== undefined) out.push({ tag: 'creates', args: [spec.name, spec.creates] });
    if (spec.unless !== undefined) out.push({ tag: 'unless', args: [spec.name, Buffer.from(shellCommand(spec.unless), 'utf8').toString('base64')] });
    return out;
  },
  parse,
};
