/**
 * Documents that exist but could not be read (a YAML error, a nesting limit, a schema violation): each is
 * reported once where it is broken. What it would have declared is unknown, not missing, so checks that look
 * for a name must not call every use of it dangling: that would bury the one real mistake under its echoes.
 */
import { KINDS } from '../spec/schema.js';
import type { Kind } from '../spec/schema.js';
import { type Catalog, DEFAULT_SITE_LOCATION } from './catalog.js';

export interface UnreadableDocument {
  file: string;
  /** As far as it could still be read. */
  kind?: string;
  name?: string;
}

export interface Unknowns {
  /** Some unreadable document may be the `kind` named `name`. */
  mayDeclare(kind: Kind, name: string): boolean;
  /** Some unreadable document may be of `kind`. */
  mayBe(kind: Kind): boolean;
}

export function unknownsOf(unreadable: readonly UnreadableDocument[]): Unknowns {
  const named = new Set<string>();
  const kinds = new Set<Kind>();
  const unnamedKinds = new Set<Kind>();
  const anyKindNamed = new Set<string>();
  let anyKind = false;
  for (const u of unreadable) {
    // A kind this controller does not know is a typo for one it does: which one is anyone's guess.
    const kind = KINDS.find((k) => k === u.kind);
    if (kind === undefined) {
      if (u.name === undefined) anyKind = true;
      else anyKindNamed.add(u.name);
    } else {
      kinds.add(kind);
      if (u.name === undefined) unnamedKinds.add(kind);
      else named.add(`${kind}/${u.name}`);
    }
  }
  return {
    mayDeclare: (kind, name) => anyKind || anyKindNamed.has(name) || unnamedKinds.has(kind) || named.has(`${kind}/${name}`),
    mayBe: (kind) => anyKind || anyKindNamed.size > 0 || kinds.has(kind),
  };
}

/**
 * The Site's settings (params, allowed paths) are unknown when none was read and an unreadable document may be
 * it; judged by the defaults instead, every use of them would look wrong. A Site that was read is the Site: a
 * second one is an error of its own.
 */
export function siteUnknown(catalog: Catalog, unknowns: Unknowns): boolean {
  return catalog.site.location === DEFAULT_SITE_LOCATION && unknowns.mayBe('Site');
}
