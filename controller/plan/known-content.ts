/**
 * What a node holds, known without reading it: an inventory snapshot carries a file's hash, not its content,
 * but when the node is at the base's state, the base's desired spec of that same hash has the text. A
 * pull-request plan then shows a change as a diff of the text, base to head, instead of two hashes. Only an
 * equal sha256 makes it known; nothing is guessed. Pure.
 */
import type { Desired } from '../model/desired.js';
import type { MarkedChange } from './pull-request-marks.js';

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** node -> resource key -> that spec's content by its sha256, for the specs that carry both. */
function contentsByHash(desired: Pick<Desired, 'nodes'>): Map<string, Map<string, { sha256: string; content: string }>> {
  const out = new Map<string, Map<string, { sha256: string; content: string }>>();
  for (const node of desired.nodes) {
    const byKey = new Map<string, { sha256: string; content: string }>();
    for (const r of node.resources) {
      const spec = r.spec as unknown as Record<string, unknown>;
      const sha256 = text(spec.sha256);
      const content = text(spec.content);
      if (sha256 !== undefined && content !== undefined) byKey.set(r.key, { sha256, content });
    }
    out.set(node.name, byKey);
  }
  return out;
}

/** The changes, those whose node holds a hash the base's desired state has the content of given it as `beforeContent`. */
export function withKnownContent(changes: readonly MarkedChange[], base: Pick<Desired, 'nodes'> | null): MarkedChange[] {
  if (!base) return [...changes];
  const known = contentsByHash(base);
  return changes.map((m) => {
    const { before, after, target, key } = m.change;
    if (m.mark === 'gone' || target.type !== 'node' || !before || text(before.content) !== undefined || text(after?.content) === undefined) return m;
    const spec = known.get(target.name)?.get(key);
    return spec && spec.sha256 === before.sha256 ? { ...m, beforeContent: spec.content } : m;
  });
}
