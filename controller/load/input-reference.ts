import { InputSource } from '../spec/schema.js';
import type { z } from 'zod';

const REFERENCE_KEYS = ['param', 'fact', 'output', 'value'];

export type StepInput =
  | { type: 'literal' }
  | { type: 'reference'; source: InputSource }
  | { type: 'invalid'; issues: readonly z.core.$ZodIssue[] };

/**
 * A step input is a literal unless it is a mapping with one of the reference keys; a literal mapping that
 * needs such a key is written `{value: ...}`.
 */
export function classifyStepInput(value: unknown): StepInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { type: 'literal' };
  if (!Object.keys(value).some((k) => REFERENCE_KEYS.includes(k))) return { type: 'literal' };
  const parsed = InputSource.safeParse(value);
  return parsed.success ? { type: 'reference', source: parsed.data } : { type: 'invalid', issues: parsed.error.issues };
}

/** `{output: "STEP.NAME"}` split into its parts. */
export function splitOutputRef(ref: string): { step: string; output: string } {
  const dot = ref.indexOf('.');
  return { step: ref.slice(0, dot), output: ref.slice(dot + 1) };
}
