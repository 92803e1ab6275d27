/**
 * Files that documents name (`file.template`, a CA's `certificateFile`) are read here, relative to the
 * naming document's directory, so resolve gets their text without touching the repository itself. A
 * module's resources are also held to their kinds' own load checks here (a file's one source of content).
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { Located } from '../spec/spec.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { referencedFilePath } from '../spec/repository-path.js';
import { resourceEntry } from '../spec/module-resource.js';
import { invalidUtf8, type Repository } from './repository-safety.js';

export function collectTemplates(catalog: Catalog, repository: Repository): { templates: Record<string, string>; diagnostics: Diagnostic[] } {
  const templates: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  // A bad byte is a fault of the file, not of each reference to it: reported once.
  const notUtf8 = new Set<string>();

  const read = (located: Located<unknown>, relative: string, path: (string | number)[], what: string): void => {
    const repoPath = referencedFilePath(located.location.file, relative);
    if (repoPath === null) {
      diagnostics.push(diagnosticAt(located, path, 'PathTraversal', `${what} "${relative}" leads outside the repository`));
      return;
    }
    const result = repository.read(repoPath);
    if (result.ok) templates[repoPath] = result.text;
    else if (result.reason === 'missing') diagnostics.push(diagnosticAt(located, path, 'TemplateNotFound', `${what} "${relative}" not found (looked for ${repoPath})`));
    else if (result.reason === 'loop') diagnostics.push(diagnosticAt(located, path, 'TemplateNotFound', `${what} "${relative}" is a symbolic link loop`));
    else if (result.reason === 'invalid-utf8' && !notUtf8.has(result.at.file)) {
      notUtf8.add(result.at.file);
      diagnostics.push(invalidUtf8(result.at, `${what} is not valid UTF-8: ${result.detail}`));
    }
    // 'outside' and 'too-large' are already reported on the file itself.
  };

  for (const name of Object.keys(catalog.modules).sort()) {
    const module = catalog.modules[name]!;
    module.doc.spec.resources.forEach((resource, i) => {
      const { kind, doc } = resourceEntry(resource);
      const path = ['spec', 'resources', i, kind.kind];
      kind.checks?.(doc, (field, code, message) => diagnostics.push(diagnosticAt(module, [...path, ...field], code, message)));
      for (const file of kind.repositoryFiles?.(doc) ?? []) read(module, file.name, [...path, ...file.field], 'template');
    });
  }
  for (const name of Object.keys(catalog.certificateAuthorities).sort()) {
    const ca = catalog.certificateAuthorities[name]!;
    const { certificate, certificateFile } = ca.doc.spec;
    if ((certificate === undefined) === (certificateFile === undefined)) {
      diagnostics.push(diagnosticAt(ca, ['spec'], 'SchemaViolation', 'a CertificateAuthority needs exactly one of "certificate" or "certificateFile"'));
    }
    if (certificateFile !== undefined) read(ca, certificateFile, ['spec', 'certificateFile'], 'certificate file');
  }
  return { templates, diagnostics };
}
