/**
 * A file change in a plan: mode, owner, size and sha256, and its content: all of it for a new file, a unified
 * diff when the old content is known. Bytes given as `contentBase64` are no text to show: a reader gets
 * their size and hash instead.
 */
import type { Change } from '../../controller/model/change.js';
import { shortHash } from '../../controller/model/sha256.js';
import { unifiedDiff } from '../../controller/model/unified-diff.js';
import { addedLines, clip, num, ownershipLine, size, str } from '../details-support.js';
import type { ChangeDetails } from '../kind.js';

const isBinary = (r: Record<string, unknown>): boolean => typeof r.contentBase64 === 'string';
const binary = (r: Record<string, unknown>): string => `binary, ${size(num(r.size))}, sha256 ${shortHash(str(r.sha256))}`;

export function fileDetails(c: Change): ChangeDetails {
  const { before, after } = c;
  if (after && !before) {
    if (isBinary(after)) return { attributes: [`${ownershipLine(after)}, ${binary(after)}`], content: [] };
    return {
      attributes: [`${ownershipLine(after)}, ${size(num(after.size))}, sha256 ${shortHash(str(after.sha256))}`],
      content: clip(addedLines(str(after.content) ?? '')),
    };
  }
  if (after && before) {
    const attributes: string[] = [];
    if (before.sha256 !== after.sha256 && isBinary(after)) {
      attributes.push(`sha256 ${shortHash(str(before.sha256))} (${size(num(before.size))}) -> ${binary(after)}`);
    } else if (before.sha256 !== after.sha256) {
      attributes.push(`sha256 ${shortHash(str(before.sha256))} (${size(num(before.size))}) -> ${shortHash(str(after.sha256))} (${size(num(after.size))})`);
    }
    attributes.push(ownershipLine(after));
    const oldContent = str(before.content);
    const newContent = str(after.content);
    const diff = oldContent !== undefined && newContent !== undefined && oldContent !== newContent ? unifiedDiff(oldContent, newContent) : null;
    return { attributes, content: diff ? clip(diff) : [] };
  }
  return { attributes: before ? [`${ownershipLine(before)}, ${size(num(before.size))}, sha256 ${shortHash(str(before.sha256))}`] : [], content: [] };
}
