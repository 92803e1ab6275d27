/**
 * The one order of text in the code: by UTF-16 code unit, the order of `<` and of a comparator-less `sort()`,
 * so a sort through this comparator agrees with every `Object.keys(...).sort()` and with canonical JSON's key
 * order. It is code-point order except between an astral character and one of U+E000..U+FFFF, where
 * keeping the code-unit order is what keeps plans byte-identical. Never `localeCompare`: its answer
 * depends on the machine's locale (and ICU version), and output must not.
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
