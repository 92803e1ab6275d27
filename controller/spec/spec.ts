/**
 * The loaded, validated site: every document of one revision, by kind and name, with where it came from.
 * Produced by load (pure), consumed by resolve (pure).
 */
import type { RevisionInfo } from '../model/revision.js';
import type { SourceLocation, TextPosition } from '../model/source-location.js';
import type {
  CertificateAuthorityDoc,
  ClusterDoc,
  DNSZoneDoc,
  IPPoolDoc,
  ModuleDoc,
  NodeDoc,
  SiteDoc,
} from './schema.js';

/** A document with its origin, so later stages can still point at the file and line of a field. */
export interface Located<T> {
  doc: T;
  /** Where the document starts. */
  location: SourceLocation;
  /**
   * Location of a field inside the document (path as in zod issues); falls back to the document start. With
   * `within`, of that position inside the field's text (an inline template's error), where it can be told.
   */
  locate(path: readonly (string | number)[], within?: TextPosition): SourceLocation;
}

export interface Spec {
  revision: RevisionInfo;
  /** The Site document, or the defaults when the repository has none (site id `default`). */
  site: Located<SiteDoc>;
  /** Keyed by metadata.name; iterate with sorted keys for determinism. */
  nodes: Record<string, Located<NodeDoc>>;
  modules: Record<string, Located<ModuleDoc>>;
  clusters: Record<string, Located<ClusterDoc>>;
  pools: Record<string, Located<IPPoolDoc>>;
  zones: Record<string, Located<DNSZoneDoc>>;
  certificateAuthorities: Record<string, Located<CertificateAuthorityDoc>>;
  /** Template files referenced by modules (`file.template`), keyed by repository path, as text. */
  templates: Record<string, string>;
}

/**
 * The site's id: its Site document's name. It keys the controller's store, the owner of each node's managed
 * record and the locks (ADR 0008), so renaming the Site is moving the nodes to another site.
 */
export function siteIdOf(spec: Pick<Spec, 'site'>): string {
  return spec.site.doc.metadata.name;
}
