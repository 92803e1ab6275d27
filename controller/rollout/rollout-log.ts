/**
 * A rollout as text, for people and golden files: the intents (which node goes when, through which gates),
 * then one line per event on the simulated clock, then the state a later run resumes from.
 */
import type { BatchIntent, RolloutIntents } from './rollout-planner.js';
import type { Simulation } from './rollout-simulator.js';

const list = (nodes: readonly string[]): string => (nodes.length === 0 ? 'none' : nodes.join(', '));

function batchLine(b: BatchIntent): string {
  const domain = b.domain !== undefined ? ` [${b.domain}]` : '';
  return `batch ${b.batch}${b.canary ? ' (canary)' : ''}${domain}: ${list(b.nodes)}  gates ${b.gates.join(', ')}  soak ${b.soakSeconds}s  deadline ${b.deadlineSeconds}s`;
}

export function renderIntents(intents: RolloutIntents): string[] {
  return [
    `cluster ${intents.cluster}: maxUnavailable ${intents.maxUnavailable}, failure budget ${intents.failureBudget}, on failure ${intents.onFailure}, rollback ${intents.rollback}`,
    `members already down: ${list(intents.unavailable)}`,
    `held: ${list(intents.held)}`,
    ...intents.batches.map(batchLine),
  ];
}

export function renderRolloutLog(intents: RolloutIntents, simulation: Simulation): string {
  const events = simulation.events.map((e) => `[t+${String(e.at).padStart(5, '0')}s] ${e.type.padEnd(17)} ${e.message}`);
  return [
    '# intents',
    ...renderIntents(intents),
    '',
    '# events',
    ...events,
    '',
    '# state',
    JSON.stringify(simulation.state, null, 2),
    '',
  ].join('\n');
}
