/**
 * Validates each document against the schema of its kind and turns zod's issues into diagnostics that
 * point at the offending field in the file (or at its parent key when the field is missing).
 */
import type { z } from 'zod';
import { diagnostic, fieldPath } from '../spec/diagnostic.js';
import type { Diagnostic, DiagnosticCode } from '../spec/diagnostic.js';
import { API_VERSION, DOCUMENT_SCHEMAS, KINDS } from '../spec/schema.js';
import type { Kind } from '../spec/schema.js';
import type { UnreadableDocument } from './unreadable-documents.js';
import type { FieldPath, YamlDocument } from './yaml-documents.js';
import { inlineTsigKey } from './zone-key-material.js';

export interface ValidDocument {
  kind: Kind;
  name: string;
  /** The parsed value with defaults applied. */
  doc: unknown;
  source: YamlDocument;
}

export interface SchemaResult {
  valid: ValidDocument[];
  diagnostics: Diagnostic[];
  /** Documents that failed validation: they exist, but what they declare is unknown. */
  unreadable: UnreadableDocument[];
}

export function validateDocuments(documents: readonly YamlDocument[]): SchemaResult {
  const valid: ValidDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const unreadable: UnreadableDocument[] = [];
  for (const source of documents) {
    const value = source.value as Record<string, unknown>;
    const name = (value.metadata as Record<string, unknown> | undefined)?.name;
    const refuse = (...problems: Diagnostic[]): void => {
      diagnostics.push(...problems);
      unreadable.push({ file: source.file, ...(typeof value.kind === 'string' ? { kind: value.kind } : {}), ...(typeof name === 'string' ? { name } : {}) });
    };
    const kindProblem = checkHeader(source, value);
    if (kindProblem) {
      refuse(kindProblem);
      continue;
    }
    const kind = value.kind as Kind;
    const inlineKey = kind === 'DNSZone' ? inlineTsigKey(source) : undefined;
    if (inlineKey) {
      refuse(inlineKey);
      continue;
    }
    const result = DOCUMENT_SCHEMAS[kind].safeParse(value);
    if (result.success) {
      valid.push({ kind, name: result.data.metadata.name, doc: result.data, source });
    } else {
      refuse(...issuesToDiagnostics(source, result.error.issues));
    }
  }
  return { valid, diagnostics, unreadable };
}

function checkHeader(source: YamlDocument, value: Record<string, unknown>): Diagnostic | undefined {
  const { apiVersion, kind } = value;
  if (typeof apiVersion === 'string' && apiVersion !== API_VERSION) {
    return at(source, ['apiVersion'], 'UnknownApiVersion', `unknown apiVersion "${apiVersion}"; this controller reads ${API_VERSION}`);
  }
  if (typeof kind === 'string' && !(KINDS as string[]).includes(kind)) {
    return at(source, ['kind'], 'UnknownKind', `unknown kind "${kind}"; expected one of ${KINDS.join(', ')}`);
  }
  if (typeof kind !== 'string') {
    return at(source, ['kind'], 'SchemaViolation', `kind is required and must be one of ${KINDS.join(', ')}`);
  }
  return undefined;
}

function at(source: FieldLocator, path: FieldPath, code: DiagnosticCode, message: string): Diagnostic {
  return diagnostic(code, message, { location: source.locate(path), field: fieldPath(path) });
}

/** Anything that can say where a field is: a parsed YAML document or a loaded `Located` document. */
export type FieldLocator = Pick<YamlDocument, 'locate'> & Partial<Pick<YamlDocument, 'locateKey'>>;

export function issuesToDiagnostics(source: FieldLocator, issues: readonly z.core.$ZodIssue[], base: FieldPath = []): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        out.push(diagnostic('SchemaViolation', `unknown field "${key}"`, { location: (source.locateKey ?? source.locate)(keyPath), field: fieldPath(keyPath) }));
      }
    } else if (issue.code === 'invalid_union') {
      out.push(...unionDiagnostics(source, path, issue.errors));
    } else {
      out.push(at(source, path, 'SchemaViolation', describe(issue)));
    }
  }
  return out;
}

/**
 * A union failed: report the branch the author most likely meant (the one that got furthest, i.e. whose
 * problems are all nested below the union), or, when every branch fails at the value itself, one combined
 * message ("Invalid IPv4 address, or Invalid IPv6 address, or Invalid hostname").
 */
function unionDiagnostics(source: FieldLocator, path: FieldPath, branches: readonly (readonly z.core.$ZodIssue[])[]): Diagnostic[] {
  const deep = branches.filter((issues) => issues.length > 0 && issues.every((i) => i.path.length > 0 && i.code !== 'unrecognized_keys'));
  const chosen = deep.length === 1 ? deep[0] : undefined;
  if (chosen) return issuesToDiagnostics(source, chosen, path);
  const messages = [...new Set(branches.flatMap((issues) => issues.filter((i) => i.path.length === 0).map(describe)))];
  const message = messages.length > 0 ? messages.join(', or ') : 'does not match any allowed form';
  return [at(source, path, 'SchemaViolation', message)];
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `required field is missing (expected ${issue.expected})`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}
