/**
 * SSH carries a single command string that the remote login shell parses, so argv must be turned into
 * POSIX sh words. Single quotes are the only sh quoting with no special characters inside, so each
 * argument is single-quoted and an embedded quote becomes '\'' (close, escaped quote, reopen).
 */
export function quoteArg(arg: string): string {
  // NUL cannot exist in a C string argv on the remote side; failing beats silently truncating.
  if (arg.includes('\0')) throw new TypeError('argument contains a NUL byte, which cannot be passed to a command');
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('argv must name a command');
  return argv.map(quoteArg).join(' ');
}
