/**
 * Builds Specs for resolve's tests without the loader: documents go through the real schemas (so defaults
 * apply as in a loaded site), each "file" is `<kind>/<name>.yaml`, and a field's location is line 1 of it.
 */
import { API_VERSION, DOCUMENT_SCHEMAS, type Kind } from '../../controller/spec/schema.js';
import type { Located, Spec } from '../../controller/spec/spec.js';
import { FAKE_COMMIT } from './revision-from-dir.js';
import { fixtureHostKey } from './site-files.js';

type Doc = { kind: Kind; metadata: { name: string }; spec?: unknown };

function located<T>(file: string, doc: T): Located<T> {
  return { doc, location: { file, line: 1, column: 1 }, locate: () => ({ file, line: 1, column: 1 }) };
}

/** Parses the documents with the site schemas; throws on a schema error (a broken test, not a diagnostic). */
export function testSpec(docs: readonly Doc[], templates: Record<string, string> = {}): Spec {
  const spec: Spec = {
    revision: { source: 'test', ref: 'main', commit: FAKE_COMMIT, worktree: false },
    site: located('site.yaml', DOCUMENT_SCHEMAS.Site.parse({ apiVersion: API_VERSION, kind: 'Site', metadata: { name: 'site' }, spec: {} })),
    nodes: {},
    modules: {},
    clusters: {},
    pools: {},
    zones: {},
    certificateAuthorities: {},
    templates,
  };
  for (const raw of docs) {
    const file = `${raw.kind.toLowerCase()}/${raw.metadata.name}.yaml`;
    const doc = { apiVersion: API_VERSION, spec: {}, ...raw };
    const name = raw.metadata.name;
    switch (raw.kind) {
      case 'Site':
        spec.site = located(file, DOCUMENT_SCHEMAS.Site.parse(doc));
        break;
      case 'Node':
        spec.nodes[name] = located(file, DOCUMENT_SCHEMAS.Node.parse(doc));
        break;
      case 'Module':
        spec.modules[name] = located(file, DOCUMENT_SCHEMAS.Module.parse(doc));
        break;
      case 'Cluster':
        spec.clusters[name] = located(file, DOCUMENT_SCHEMAS.Cluster.parse(doc));
        break;
      case 'IPPool':
        spec.pools[name] = located(file, DOCUMENT_SCHEMAS.IPPool.parse(doc));
        break;
      case 'DNSZone':
        spec.zones[name] = located(file, DOCUMENT_SCHEMAS.DNSZone.parse(doc));
        break;
      case 'CertificateAuthority':
        spec.certificateAuthorities[name] = located(file, DOCUMENT_SCHEMAS.CertificateAuthority.parse(doc));
        break;
    }
  }
  return spec;
}

export function node(name: string, address: string, extra: { roles?: string[]; labels?: Record<string, string>; facts?: Record<string, string | number | boolean> } = {}): Doc {
  const metadata = extra.labels ? { name, labels: extra.labels } : { name };
  return { kind: 'Node', metadata, spec: { address, roles: extra.roles ?? [], facts: extra.facts ?? {}, ssh: { hostKey: fixtureHostKey(name) } } } as Doc;
}

export const moduleDoc = (name: string, spec: unknown): Doc => ({ kind: 'Module', metadata: { name }, spec });
export const clusterDoc = (name: string, spec: unknown): Doc => ({ kind: 'Cluster', metadata: { name }, spec });
export const doc = (kind: Kind, name: string, spec: unknown): Doc => ({ kind, metadata: { name }, spec });
