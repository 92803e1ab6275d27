/**
 * Modules may only manage paths under the site's allowed roots, so a module cannot overwrite /etc/shadow's
 * neighbours unless the site opted in. The rule itself is spec/node-path.ts; resolve applies it again to
 * the rendered paths.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import { nodePathProblem } from '../spec/node-path.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { resourceEntry } from '../spec/module-resource.js';

export function checkAllowedPaths(catalog: Catalog): Diagnostic[] {
  const roots = catalog.site.doc.spec.allowedPaths;
  const out: Diagnostic[] = [];
  for (const name of Object.keys(catalog.modules).sort()) {
    const module = catalog.modules[name]!;
    module.doc.spec.resources.forEach((resource, i) => {
      const { kind, doc } = resourceEntry(resource);
      for (const use of kind.paths(doc)) {
        const problem = use.path === undefined ? null : nodePathProblem(use.path, roots, { program: use.program ?? false });
        if (problem) out.push(diagnosticAt(module, ['spec', 'resources', i, kind.kind, ...use.field], problem.code, `"${use.path}" ${problem.reason}`));
      }
    });
  }
  return out;
}
