/**
 * Modules may only manage paths under the site's allowed roots, so a module cannot overwrite /etc/shadow's
 * neighbours unless the site opted in. The rule itself is spec/node-path.ts; resolve applies it again to
 * the rendered paths.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import { nodePathProblem } from '../spec/node-path.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';

export function checkAllowedPaths(catalog: Catalog): Diagnostic[] {
  const roots = catalog.site.doc.spec.allowedPaths;
  const out: Diagnostic[] = [];
  for (const name of Object.keys(catalog.modules).sort()) {
    const module = catalog.modules[name]!;
    module.doc.spec.resources.forEach((resource, i) => {
      const check = (path: string | undefined, field: (string | number)[], program = false): void => {
        const problem = path === undefined ? null : nodePathProblem(path, roots, { program });
        if (problem) out.push(diagnosticAt(module, ['spec', 'resources', i, ...field], problem.code, `"${path}" ${problem.reason}`));
      };
      if ('file' in resource) check(resource.file.path, ['file', 'path']);
      if ('directory' in resource) check(resource.directory.path, ['directory', 'path']);
      if ('service' in resource) check(resource.service.command, ['service', 'command'], true);
      if ('command' in resource) {
        check(resource.command.argv[0], ['command', 'argv', 0], true);
        check(resource.command.creates, ['command', 'creates']);
      }
      if ('certificate' in resource) {
        check(resource.certificate.keyPath, ['certificate', 'keyPath']);
        check(resource.certificate.certPath, ['certificate', 'certPath']);
      }
    });
  }
  return out;
}
