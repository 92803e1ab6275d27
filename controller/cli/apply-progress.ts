/**
 * What `apply` prints while it runs: one line per finished change (outcome, action, id, and why), batch
 * gates, halts; and on a terminal a progress line ("[12/40] 1 failed") kept below them, redrawn in place.
 * The progress line never reaches a file or a CI log: it is drawn only when stdout is a TTY.
 */
import type { ApplyEvent } from '../apply/apply-plan.js';
import type { ChangeResult } from '../apply/change-set.js';
import type { Plan } from '../model/plan.js';
import type { CliIO } from './io.js';

const CLEAR_LINE = '\r\u001b[K';

function changeLine(result: ChangeResult, reason: string | undefined): string {
  const applied = [reason, result.outcome === 'applied' ? result.message : undefined].filter(Boolean).join('; ');
  const detail = result.outcome === 'failed' ? `: ${result.error} [${result.code}]` : result.outcome === 'skipped' ? ` (${result.reason})` : applied ? ` (${applied})` : '';
  return `  ${result.outcome.padEnd(7)} ${result.action} ${result.id}${detail}\n`;
}

/**
 * "healthy" only when no node of the batch failed: a node whose change failed was never health-checked. A
 * healthy batch names the gates that passed, so an operator sees what "healthy" was measured by: once when
 * every node passed the same ones (`healthy: service-up, quorum`), else per node (`healthy: n1 service-up; n2 ...`).
 */
function gateVerdict(gate: Extract<ApplyEvent, { type: 'batch-gate' }>): string {
  const failed = Object.entries(gate.failed).map(([n, why]) => `FAILED ${n} (${why})`);
  const unhealthy = Object.entries(gate.unhealthy).map(([n, why]) => `UNHEALTHY ${n}: ${why}`);
  const bad = [...failed, ...unhealthy];
  if (bad.length > 0) return bad.join('; ');
  const passed = gate.nodes.filter((n) => (gate.passed?.[n]?.length ?? 0) > 0).map((n) => [n, gate.passed![n]!.join(', ')] as const);
  if (passed.length === 0) return 'healthy';
  const same = passed.length === gate.nodes.length && passed.every(([, gates]) => gates === passed[0]![1]);
  return same ? `healthy: ${passed[0]![1]}` : `healthy: ${passed.map(([n, gates]) => `${n} ${gates}`).join('; ')}`;
}

export interface ApplyProgress {
  onEvent(event: ApplyEvent): void;
  /** Removes the progress line, before the summary. */
  end(): void;
}

export function applyProgress(io: CliIO, plan: Plan): ApplyProgress {
  const reasons = new Map(plan.changes.map((c) => [c.id, c.reason]));
  const total = plan.changes.length;
  let done = 0;
  let failed = 0;
  let skipped = 0;
  let drawn = false;
  const clear = (): void => {
    if (drawn) io.stdout(CLEAR_LINE);
    drawn = false;
  };
  const draw = (): void => {
    if (!io.isTTY || total === 0) return;
    const bad = [failed > 0 ? `${failed} failed` : '', skipped > 0 ? `${skipped} skipped` : ''].filter(Boolean).join(', ');
    io.stdout(`${CLEAR_LINE}[${done}/${total}]${bad ? ` ${bad}` : ''}`);
    drawn = true;
  };
  return {
    onEvent(event) {
      if (event.type === 'change-finished') {
        const r = event.result;
        done++;
        if (r.outcome === 'failed') failed++;
        if (r.outcome === 'skipped') skipped++;
        clear();
        io.stdout(changeLine(r, reasons.get(r.id)));
      } else if (event.type === 'batch-gate') {
        clear();
        io.stdout(`  rollout ${event.cluster} batch ${event.batch} (${event.nodes.join(', ')}): ${gateVerdict(event)}\n`);
      } else if (event.type === 'batch-check') {
        const down = Object.entries(event.down).map(([n, why]) => `${n} (${why})`);
        if (down.length === 0 && !event.held) return;
        clear();
        io.stdout(`  rollout ${event.cluster} before batch ${event.batch}: down already ${down.join('; ')}${event.held ? ': batch held' : ''}\n`);
      } else if (event.type === 'drain' || event.type === 'undrain') {
        clear();
        const outcome = event.failed ? `FAILED (step ${event.failed.step} on ${event.failed.on}: ${event.failed.output})` : 'done';
        io.stdout(`  rollout ${event.cluster} batch ${event.batch}: ${event.type} ${event.node} ${outcome}\n`);
      } else if (event.type === 'rollback') {
        clear();
        io.stdout(`  rollback ${event.cluster} batch ${event.batch}: ${event.message}\n`);
      } else if (event.type === 'rollout-halted') {
        clear();
        io.stderr(`${event.condition.type} (${event.condition.reason}): ${event.condition.message}\n`);
      } else {
        return;
      }
      draw();
    },
    end: clear,
  };
}
