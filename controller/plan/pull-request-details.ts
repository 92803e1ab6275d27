/**
 * What a pull-request plan shows of one change beyond its row: its kind's details (of the change as shown:
 * with what the node holds, when known), and for a change the base plans too but otherwise, what the pull
 * request alters in it: the text the base would write against the text the head writes.
 */
import { unifiedDiff } from '../model/unified-diff.js';
import { clip } from '../../reconcilers/details-support.js';
import type { ChangeDetails } from '../../reconcilers/kind.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { changeDetails } from './change-details.js';
import { shownChange, type MarkedChange } from './pull-request-marks.js';

export function pullRequestDetails(m: MarkedChange, registry: KindRegistry): ChangeDetails {
  const details = changeDetails(shownChange(m), registry);
  const after = m.change.after?.content;
  if (m.baseContent === undefined || typeof after !== 'string') return details;
  const diff = unifiedDiff(m.baseContent, after);
  if (!diff) return details;
  return { attributes: details.attributes, content: [...details.content, ...(details.content.length > 0 ? [''] : []), '# against what the base would write:', ...clip(diff)] };
}
