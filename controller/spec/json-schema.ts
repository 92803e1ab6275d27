/**
 * Published schemas generated from the zod model, never written by hand: the JSON Schema editors use for
 * site files, and the CRDs of the scale-out mode. `io: 'input'` describes what a user writes (defaulted
 * fields are optional), not what load produces.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { API_VERSION, DOCUMENT_SCHEMAS, KINDS } from './schema.js';
import type { Kind } from './schema.js';

export const JSON_SCHEMA_ID = 'https://underlay.dev/schemas/v1alpha1/site.schema.json';
export const CRD_GROUP = 'underlay.dev';
export const CRD_VERSION = 'v1alpha1';

/** One schema for any site document: exactly one kind's schema applies (they differ in `kind`). */
export function siteJsonSchema(): Record<string, unknown> {
  const union = z.toJSONSchema(z.union(KINDS.map((k) => DOCUMENT_SCHEMAS[k])), { io: 'input' }) as Record<string, unknown>;
  const { anyOf, $schema, ...rest } = union;
  return {
    $schema,
    $id: JSON_SCHEMA_ID,
    title: `underlay site document (${API_VERSION})`,
    oneOf: anyOf,
    ...rest,
  };
}

const PLURALS: Record<Kind, string> = {
  Site: 'sites',
  Node: 'nodes',
  Module: 'modules',
  Cluster: 'clusters',
  IPPool: 'ippools',
  DNSZone: 'dnszones',
  CertificateAuthority: 'certificateauthorities',
};

/** A CustomResourceDefinition (apiextensions.k8s.io/v1) for one document kind. */
export function customResourceDefinition(kind: Kind): Record<string, unknown> {
  const specSchema = DOCUMENT_SCHEMAS[kind].shape.spec;
  const openapi = z.toJSONSchema(specSchema, { target: 'openapi-3.0', io: 'input' }) as Record<string, unknown>;
  const plural = PLURALS[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${CRD_GROUP}` },
    spec: {
      group: CRD_GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: structural(openapi),
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
              required: ['spec'],
            },
          },
        },
      ],
    },
  };
}

/**
 * Kubernetes accepts only "structural" schemas: no $ref, no `additionalProperties: false` next to
 * `properties`, no types inside anyOf. Free-form JSON values (params, step inputs) and unions of objects
 * become preserve-unknown-fields; the controller validates them with zod anyway.
 */
function structural(schema: unknown): Record<string, unknown> {
  const s = schema as Record<string, unknown>;
  if ('$ref' in s) return { 'x-kubernetes-preserve-unknown-fields': true };
  const branches = (s.anyOf ?? s.oneOf ?? s.allOf) as Record<string, unknown>[] | undefined;
  if (branches) return structuralUnion(branches, s);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'definitions' || key === '$defs' || key === '$schema') continue;
    if (key === 'additionalProperties') {
      if (value !== false) out[key] = structural(value);
    } else if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, structural(v)]));
    } else out[key] = key === 'items' ? structural(value) : value;
  }
  return out;
}

/** A union of one scalar type is that type; any other union is a free-form value (an object, if all branches are). */
function structuralUnion(branches: readonly Record<string, unknown>[], s: Record<string, unknown>): Record<string, unknown> {
  const types = new Set(branches.map((b) => b.type));
  const only = types.size === 1 ? [...types][0] : undefined;
  if (only === 'string' || only === 'integer' || only === 'number' || only === 'boolean') return withDefault({ type: only }, s);
  return withDefault(only === 'object' ? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } : { 'x-kubernetes-preserve-unknown-fields': true }, s);
}

function withDefault(out: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  return 'default' in from ? { ...out, default: from.default } : out;
}

/** The exact bytes of docs/site.schema.json. */
export function renderSiteJsonSchema(): string {
  return `${JSON.stringify(siteJsonSchema(), null, 2)}\n`;
}

/** crds/<plural>.underlay.dev.yaml -> exact bytes, one file per kind. */
export function renderCrds(): Record<string, string> {
  const header = '# Generated from controller/spec/schema.ts by scripts/write-json-schema.ts; do not edit.\n';
  return Object.fromEntries(
    KINDS.map((kind) => {
      const crd = customResourceDefinition(kind);
      const name = (crd.metadata as { name: string }).name;
      return [`${name}.yaml`, header + stringify(crd, { lineWidth: 0 })];
    }),
  );
}
