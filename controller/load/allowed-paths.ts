/**
 * Modules may only manage paths under the site's allowed roots, so a module cannot overwrite /etc/shadow's
 * neighbours unless the site opted in. Programs a service or command runs may also live in the system's
 * program directories.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { ModuleDoc } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';

const PROGRAM_ROOTS = ['/usr', '/bin', '/sbin', '/opt'];

export function checkAllowedPaths(catalog: Catalog): Diagnostic[] {
  const roots = catalog.site.doc.spec.allowedPaths;
  const out: Diagnostic[] = [];
  for (const name of Object.keys(catalog.modules).sort()) {
    const module = catalog.modules[name]!;
    module.doc.spec.resources.forEach((resource, i) => {
      const check = (path: string | undefined, field: (string | number)[], allowProgramRoots = false): void => {
        if (path === undefined || !path.startsWith('/')) return;
        const extra = allowProgramRoots ? PROGRAM_ROOTS : [];
        if (!isUnder(path, [...roots, ...extra])) out.push(outside(module, ['spec', 'resources', i, ...field], path, [...roots, ...extra]));
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

/**
 * A templated path is judged by its literal directory prefix: `/etc/{{ name }}.conf` is under /etc whatever
 * the name renders to (rendered values cannot contain `/..`; resolve checks that).
 */
export function isUnder(path: string, roots: readonly string[]): boolean {
  const template = path.indexOf('{{');
  const literal = template < 0 ? path : path.slice(0, path.lastIndexOf('/', template));
  return roots.some((root) => {
    const r = root.endsWith('/') ? root.slice(0, -1) : root;
    return r === '' || literal === r || literal.startsWith(`${r}/`);
  });
}

function outside(module: Located<ModuleDoc>, path: (string | number)[], value: string, roots: readonly string[]): Diagnostic {
  return diagnosticAt(module, path, 'PathOutsideAllowedRoots', `"${value}" is outside the allowed roots (${roots.join(', ')}); add a root to Site spec.allowedPaths if this is intended`);
}
