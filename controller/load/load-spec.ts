/**
 * Load: a revision's files -> the validated Spec, or every problem found, in one pass. Pure: the revision is
 * a value, and nothing from the repository is ever executed.
 */
import { hasErrors, sortDiagnostics } from '../spec/diagnostic.js';
import type { Diagnostic } from '../spec/diagnostic.js';
import type { Spec } from '../spec/spec.js';
import type { Revision } from '../source/revision.js';
import { checkAllowedPaths } from './allowed-paths.js';
import { checkBastionCycles } from './bastions.js';
import { buildCatalog } from './catalog.js';
import { checkDuplicateAddresses } from './duplicate-addresses.js';
import { checkDuplicateResources } from './duplicate-resources.js';
import { checkHostKeys } from './host-keys.js';
import { checkNumericAddresses } from './numeric-addresses.js';
import { checkPools } from './pools.js';
import { checkReferences } from './references.js';
import { checkZoneServers } from './zone-servers.js';
import { DEFAULT_MAX_FILE_BYTES, inspectRepository } from './repository-safety.js';
import { validateDocuments } from './schema-diagnostics.js';
import { checkSecretDeliveries } from './secret-deliveries.js';
import { checkSelectors } from './selectors.js';
import { checkStepGraphs } from './step-graph.js';
import { collectTemplates } from './templates.js';
import { siteUnknown, unknownsOf, type UnreadableDocument } from './unreadable-documents.js';
import { parseYamlFile } from './yaml-documents.js';

export interface LoadOptions {
  /** Files larger than this are refused (default 1 MiB): site files are small, and parsing is not free. */
  maxFileBytes?: number;
}

export interface LoadResult {
  /** Null when there is any error; warnings alone still give a Spec. */
  spec: Spec | null;
  /** Sorted by file, line, column, code. */
  diagnostics: Diagnostic[];
}

export function loadSpec(revision: Revision, options: LoadOptions = {}): LoadResult {
  const repository = inspectRepository(revision.files, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  const diagnostics: Diagnostic[] = [...repository.diagnostics];

  const unreadable: UnreadableDocument[] = [];
  const documents = repository.documents.flatMap((file) => {
    const parsed = parseYamlFile(file.path, file.text);
    diagnostics.push(...parsed.diagnostics);
    unreadable.push(...parsed.unreadable);
    return parsed.documents;
  });
  const schema = validateDocuments(documents);
  diagnostics.push(...schema.diagnostics);
  const unknowns = unknownsOf([...unreadable, ...schema.unreadable]);
  const { catalog, diagnostics: naming } = buildCatalog(schema.valid);
  diagnostics.push(...naming);

  const templates = collectTemplates(catalog, repository);
  diagnostics.push(
    ...templates.diagnostics,
    ...checkReferences(catalog, unknowns),
    ...checkBastionCycles(catalog),
    ...checkHostKeys(catalog),
    ...checkDuplicateAddresses(catalog),
    ...checkStepGraphs(catalog),
    ...checkSelectors(catalog),
    ...(siteUnknown(catalog, unknowns) ? [] : checkAllowedPaths(catalog)),
    ...checkNumericAddresses(catalog),
    ...checkZoneServers(catalog, unknowns),
    ...checkPools(catalog),
    ...checkDuplicateResources(catalog),
    // A Site that did not load has no policies to hold deliveries to: every one would look refused.
    ...(siteUnknown(catalog, unknowns) ? [] : checkSecretDeliveries(catalog)),
  );

  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { spec: null, diagnostics: sorted };
  const spec: Spec = {
    revision: { source: revision.source, ref: revision.ref, commit: revision.commit, worktree: revision.worktree },
    ...catalog,
    templates: templates.templates,
  };
  return { spec, diagnostics: sorted };
}
