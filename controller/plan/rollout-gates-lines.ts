/**
 * The rollout's gates and drain steps as plan lines: per batch node, what runs before its batch changes it,
 * what its batch must pass, and what runs after. Shared by the text and Markdown renderings.
 */
import { gatesOf, type DesiredGate, type DrainStep } from '../model/health-gate.js';
import type { RolloutIntents } from '../model/rollout.js';

/** argv as one readable line (JSON strings for the elements that need quoting). */
export function argvLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

const from = (f: string | undefined): string => (f === undefined ? '' : ` from ${f}`);

export function describeGate(gate: DesiredGate): string {
  switch (gate.type) {
    case 'service-up':
      return 'service-up';
    case 'tcp':
      return `${gate.name} (tcp ${gate.host}:${gate.port}${from(gate.from)})`;
    case 'http': {
      const body = gate.body === undefined ? '' : ` body ~ ${JSON.stringify(gate.body)}`;
      const pin = gate.caCertificate === undefined ? '' : ', CA pinned';
      return `${gate.name} (GET ${gate.url} -> ${gate.status}${body}${pin}${gate.from === undefined ? '' : `, from ${gate.from}`})`;
    }
    case 'command':
      return `${gate.name} (${argvLine(gate.argv)}${gate.exitCode === 0 ? '' : ` exits ${gate.exitCode}`})`;
    case 'cluster':
      return `${gate.name} (on a healthy member: ${argvLine(gate.argv)}${gate.exitCode === 0 ? '' : ` exits ${gate.exitCode}`})`;
  }
}

const drainLine = (steps: readonly DrainStep[], node: string): string => steps.map((s) => `${s.on === node ? '' : `on ${s.on}: `}${argvLine(s.argv)}`).join('; ');

/** One line per node of the rollout's batches, in batch order; none when no member declares gates. */
export function rolloutGateLines(rollout: RolloutIntents): string[] {
  if (!rollout.gates) return [];
  const out: string[] = [];
  for (const { nodes, batch } of rollout.batches) {
    for (const node of nodes) {
      const declared = rollout.gates?.[node];
      const parts = [`gates ${gatesOf(declared).map(describeGate).join(', ')}`];
      if (declared && declared.drain.length > 0) parts.unshift(`drain ${drainLine(declared.drain, node)}`);
      if (declared && declared.undrain.length > 0) parts.push(`undrain ${drainLine(declared.undrain, node)}`);
      out.push(`batch ${batch}, ${node}: ${parts.join('; then ')}`);
    }
  }
  return out;
}
