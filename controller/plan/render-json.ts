/**
 * The plan for machines: canonical JSON (sorted keys, two-space indent, final newline), so a saved plan
 * diffs cleanly and its bytes depend only on its content.
 */
import { canonicalJson } from '../model/canonical-json.js';
import type { Plan } from '../model/plan.js';

export function renderJson(plan: Plan): string {
  return `${canonicalJson(plan, 2)}\n`;
}
