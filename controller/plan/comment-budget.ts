/**
 * Fitting a comment into a size limit: sections of items (table rows, detail blocks) are given room in order
 * of importance, each item whole or not at all, and what did not fit is counted so the comment can say what
 * it left out. Sizes are UTF-16 code units (String length), never fewer than the characters GitHub counts.
 */

/** A comment's lines as joined with line breaks, the last one ended too. */
export function linesSize(lines: readonly string[]): number {
  let n = 0;
  for (const l of lines) n += l.length + 1;
  return n;
}

export interface BudgetItem {
  lines: string[];
  /** What the item stands for, for the count of what was left out (the changes a row groups). */
  weight: number;
}

export interface BudgetSection {
  /** Lines before the items (a heading, a table header), shown only with at least one item. */
  head: string[];
  items: BudgetItem[];
  /** Lines after the items, shown with them. */
  tail?: string[];
  /** Rows of a list stop at the first that does not fit, so what is shown is a prefix; blocks skip to the next. */
  prefixOnly?: boolean;
  /**
   * The order in which items are given room (indices into `items`), most important first; shown items keep
   * the order of `items`. By default, that order.
   */
  priority?: readonly number[];
}

export interface FittedSection {
  lines: string[];
  /** The indices of the items shown, in order. */
  shown: number[];
  omitted: number;
  /** Sum of the weights of the items left out. */
  omittedWeight: number;
}

/** Room left, taken by each section in turn. */
export class CommentBudget {
  constructor(private left: number) {}

  get room(): number {
    return this.left;
  }

  /**
   * As many of the section's items, in order, as fit (in at most `cap` of the room, when given: a long
   * section must leave room for those after it); an item too large is skipped (unless prefixOnly) and the
   * next one tried.
   */
  fit(section: BudgetSection, cap = this.left): FittedSection {
    const frame = linesSize(section.head) + linesSize(section.tail ?? []);
    const room = Math.min(cap, this.left);
    let left = room - frame;
    let stopped = false;
    let omittedWeight = 0;
    const chosen = new Set<number>();
    for (const i of section.priority ?? section.items.keys()) {
      const item = section.items[i]!;
      const size = linesSize(item.lines);
      if (!stopped && size <= left) {
        chosen.add(i);
        left -= size;
      } else {
        omittedWeight += item.weight;
        stopped = section.prefixOnly === true;
      }
    }
    const shown = chosen.size;
    const omitted = section.items.length - shown;
    if (shown === 0) return { lines: [], shown: [], omitted, omittedWeight };
    this.left -= room - left;
    const lines = section.items.flatMap((item, i) => (chosen.has(i) ? item.lines : []));
    return { lines: [...section.head, ...lines, ...(section.tail ?? [])], shown: [...chosen].sort((a, b) => a - b), omitted, omittedWeight };
  }
}
