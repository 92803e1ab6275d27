/**
 * A secret file change in a plan: which secret, mode and owner, and whether its content changes. Never
 * the content, its size or a hash of it: the plan is shown in pull requests and saved to files.
 */
import type { Change } from '../../controller/model/change.js';
import { ownershipLine, str } from '../details-support.js';
import type { ChangeDetails } from '../kind.js';

function contentLine(c: Change): string {
  if (c.action === 'delete') return 'content: removed';
  const seen = str(c.before?.content);
  if (c.before === null || seen === 'differs') return 'content: changed';
  if (seen === 'current') return 'content: unchanged';
  return 'content: not compared';
}

export function secretFileDetails(c: Change): ChangeDetails {
  const shown = c.after ?? c.before;
  if (!shown) return { attributes: [], content: [] };
  const secret = str(c.after?.secret);
  return { attributes: [`${secret === undefined ? '' : `secret ${secret}, `}${ownershipLine(shown)}, ${contentLine(c)}`], content: [] };
}
