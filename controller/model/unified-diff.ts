/**
 * A small unified diff (3 lines of context) for showing file content changes in plans. Longest common
 * subsequence by dynamic programming: plans show configuration files, so inputs are small; above
 * MAX_CELLS the caller gets null and shows hashes instead.
 */
const MAX_CELLS = 4_000_000;
const CONTEXT = 3;

type Op = { tag: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] === b[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ tag: ' ', line: a[i++]! });
      j++;
    } else if (i < n && (j === m || lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) {
      ops.push({ tag: '-', line: a[i++]! });
    } else {
      ops.push({ tag: '+', line: b[j++]! });
    }
  }
  return ops;
}

const range = (start: number, count: number): string => (count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`);

/** Hunks of `@@ -a,b +c,d @@` with their lines, or null when the files are too large to diff here. */
export function unifiedDiff(before: string, after: string): string[] | null {
  const a = splitLines(before);
  const b = splitLines(after);
  if ((a.length + 1) * (b.length + 1) > MAX_CELLS) return null;
  const ops = editScript(a, b);
  const out: string[] = [];
  let oldLine = 1;
  let newLine = 1;
  const positions = ops.map((op) => {
    const p = { old: oldLine, new: newLine };
    if (op.tag !== '+') oldLine++;
    if (op.tag !== '-') newLine++;
    return p;
  });
  const changed = ops.flatMap((op, i) => (op.tag === ' ' ? [] : [i]));
  let g = 0;
  while (g < changed.length) {
    // Changes closer than two contexts share a hunk, as in diff -u.
    let last = g;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! - 1 <= 2 * CONTEXT) last++;
    const start = Math.max(0, changed[g]! - CONTEXT);
    const end = Math.min(ops.length, changed[last]! + CONTEXT + 1);
    const hunk = ops.slice(start, end);
    const oldCount = hunk.filter((o) => o.tag !== '+').length;
    const newCount = hunk.filter((o) => o.tag !== '-').length;
    out.push(`@@ -${range(positions[start]!.old, oldCount)} +${range(positions[start]!.new, newCount)} @@`);
    for (const op of hunk) out.push(`${op.tag}${op.line}`);
    g = last + 1;
  }
  if (before !== '' && !before.endsWith('\n')) out.push('\\ No newline at end of file (before)');
  if (after !== '' && !after.endsWith('\n')) out.push('\\ No newline at end of file (after)');
  return out;
}
