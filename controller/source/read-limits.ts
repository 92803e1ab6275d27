import type { ReadLimits, UnreadFile } from './revision.js';

/**
 * Which files of a revision stay unread, from their sizes alone: each file over the per-file limit, and all
 * of them when the rest add up to more than the per-revision limit (a partial revision would only produce
 * misleading errors about what is missing). Null means "read it".
 */
export function unreadFiles(sizes: readonly number[], limits: ReadLimits): (UnreadFile | null)[] {
  let total = 0;
  for (const size of sizes) if (size <= limits.fileBytes) total += size;
  return sizes.map((size) => {
    if (size > limits.fileBytes) return { size, over: 'file', limit: limits.fileBytes };
    if (total > limits.revisionBytes) return { size, over: 'revision', limit: limits.revisionBytes };
    return null;
  });
}
