/**
 * Which paths on a node a module may manage: one definition for load, which judges paths as written, and
 * resolve, which judges them again as rendered (`/var/lib/x/{{ node.name }}.env` is only a path once the
 * template has run). Both report the same codes with the same messages.
 */
import { NodePath } from './primitives.js';

/** Programs a service or command runs may also live in the system's program directories. */
export const PROGRAM_ROOTS = ['/usr', '/bin', '/sbin', '/opt'];

export interface NodePathProblem {
  code: 'SchemaViolation' | 'PathOutsideAllowedRoots';
  /** What is wrong, said of the path without quoting it ("is outside ..."), so a caller can name the path its way. */
  reason: string;
}

export interface NodePathOptions {
  /** A program to run: the program roots are allowed too. */
  program?: boolean;
  /** Also check the NodePath form (absolute, no `..`, no line breaks); load's schema has done that already. */
  form?: boolean;
}

/**
 * The problem with a path under the site's allowed roots, or null. A path that is not absolute is only
 * judged by its form (an argv[0] such as `sh` is looked up in PATH, not managed).
 */
export function nodePathProblem(path: string, roots: readonly string[], options: NodePathOptions = {}): NodePathProblem | null {
  if (options.form) {
    const parsed = NodePath.safeParse(path);
    if (!parsed.success) return { code: 'SchemaViolation', reason: parsed.error.issues[0]?.message ?? 'must be an absolute path' };
  }
  if (!path.startsWith('/')) return null;
  const all = options.program ? [...roots, ...PROGRAM_ROOTS] : roots;
  if (isUnder(path, all)) return null;
  return { code: 'PathOutsideAllowedRoots', reason: `is outside the allowed roots (${all.join(', ')}); add a root to Site spec.allowedPaths if this is intended` };
}

/**
 * A templated path is judged by its literal directory prefix: `/etc/{{ name }}.conf` is under /etc whatever
 * the name renders to, as far as load can tell; resolve checks the rendered path in full.
 */
export function isUnder(path: string, roots: readonly string[]): boolean {
  const template = path.indexOf('{{');
  const literal = template < 0 ? path : path.slice(0, path.lastIndexOf('/', template));
  return roots.some((root) => {
    const r = root.endsWith('/') ? root.slice(0, -1) : root;
    return r === '' || literal === r || literal.startsWith(`${r}/`);
  });
}
