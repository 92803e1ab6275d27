/**
 * Indexes valid documents by kind and name. A name used twice for one kind is an error pointing at the
 * second use (documents are visited in path order, so "second" is stable); the first one wins.
 */
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../spec/diagnostic.js';
import type { SourceLocation } from '../model/source-location.js';
import { SiteDoc } from '../spec/schema.js';
import type { Kind } from '../spec/schema.js';
import type { Located, Spec } from '../spec/spec.js';
import type { ValidDocument } from './schema-diagnostics.js';

export type Catalog = Omit<Spec, 'revision' | 'templates'>;

/** Where defaults "are" when the repository has no Site document. */
export const DEFAULT_SITE_LOCATION: SourceLocation = { file: '<defaults>', line: 1, column: 1 };

/**
 * The site id of a repository without a Site document (docs/site-format.md#site). The id keys the store,
 * the nodes' managed records and the locks, so a repository that adds a Site document later changes its id:
 * name that Site `default` to keep the history and the nodes (see the migration note there).
 */
export const DEFAULT_SITE_ID = 'default';

const FIELD_BY_KIND: Record<Exclude<Kind, 'Site'>, keyof Omit<Catalog, 'site'>> = {
  Node: 'nodes',
  Module: 'modules',
  Cluster: 'clusters',
  IPPool: 'pools',
  DNSZone: 'zones',
  CertificateAuthority: 'certificateAuthorities',
};

export function buildCatalog(valid: readonly ValidDocument[]): { catalog: Catalog; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const catalog: Catalog = { site: defaultSite(), nodes: {}, modules: {}, clusters: {}, pools: {}, zones: {}, certificateAuthorities: {} };
  let firstSite: ValidDocument | undefined;
  for (const v of valid) {
    const located = { doc: v.doc, location: v.source.location, locate: v.source.locate } as Located<never>;
    if (v.kind === 'Site') {
      if (firstSite) {
        diagnostics.push(nameDiagnostic(v, 'MultipleSites', `a repository has at most one Site document; the first is "${firstSite.name}" at ${where(firstSite)}`));
        continue;
      }
      firstSite = v;
      catalog.site = located;
      continue;
    }
    const table = catalog[FIELD_BY_KIND[v.kind]] as Record<string, Located<unknown>>;
    const first = table[v.name];
    if (first) {
      diagnostics.push(nameDiagnostic(v, 'DuplicateName', `${v.kind} "${v.name}" is already defined at ${first.location.file}:${first.location.line}`));
      continue;
    }
    table[v.name] = located;
  }
  return { catalog, diagnostics };
}

function defaultSite(): Located<SiteDoc> {
  const doc = SiteDoc.parse({ apiVersion: 'underlay.dev/v1alpha1', kind: 'Site', metadata: { name: DEFAULT_SITE_ID }, spec: {} });
  return { doc, location: DEFAULT_SITE_LOCATION, locate: () => DEFAULT_SITE_LOCATION };
}

function nameDiagnostic(v: ValidDocument, code: DiagnosticCode, message: string): Diagnostic {
  return diagnostic(code, message, { location: v.source.locate(['metadata', 'name']), field: 'metadata.name' });
}

function where(v: ValidDocument): string {
  return `${v.source.location.file}:${v.source.location.line}`;
}
