/**
 * A file entry rendered for one node: its path (when templated) and its content (an inline template, a
 * template file, or bytes given as base64, which are never rendered).
 */
import { sha256 } from '../../controller/model/sha256.js';
import { normaliseMode } from '../diff-support.js';
import type { RenderContext } from '../kind.js';
import type { DesiredFile, FileDoc } from './schema.js';

export function renderFile(f: FileDoc, ctx: RenderContext): DesiredFile | null {
  const path = ctx.path(f.path, ['path']);
  const attributes = { kind: 'file', path: path ?? f.path, mode: normaliseMode(f.mode), owner: f.owner, group: f.group } as const;
  if (f.contentBase64 !== undefined) {
    if (path === null) return null;
    const bytes = Buffer.from(f.contentBase64.replace(/\s+/g, ''), 'base64');
    return { ...attributes, contentBase64: bytes.toString('base64'), sha256: sha256(bytes), ...(f.disruptive === true ? { disruptive: true } : {}) };
  }
  const rendered = f.template !== undefined ? ctx.templateFile(f.template, ['template']) : ctx.text(f.content ?? '', ['content']);
  if (!rendered || path === null) return null;
  // Members in this order, as resolve has always built them: the hash's fast path rebuilds exactly these.
  const text: DesiredFile = { kind: 'file', path, content: rendered.text, sha256: sha256(rendered.text), mode: attributes.mode, owner: f.owner, group: f.group };
  if (f.disruptive === true) text.disruptive = true;
  return text;
}
