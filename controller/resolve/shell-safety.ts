/**
 * Values must never be spliced into shell source: `sh -c "rm -rf {{ inputs.dir }}"` with a dir of
 * `x; reboot` runs the reboot. Programs get argv, and a script that needs a value takes it as "$1".
 */

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh']);

/** Characters that mean the same thing to a shell quoted or not. */
const SHELL_INERT = /^[A-Za-z0-9_./:=@%+,-]*$/;

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Index of the script element when argv runs a shell with `-c`, else -1. Understands option clusters
 * (`-ec`), `-o name` / `+o name`, and `busybox sh`.
 */
export function shellScriptIndex(argv: readonly string[]): number {
  if (argv.length === 0) return -1;
  let i = 1;
  const program = basename(argv[0]!);
  if (program === 'busybox') {
    if (!SHELLS.has(argv[1] ?? '')) return -1;
    i = 2;
  } else if (!SHELLS.has(program)) {
    return -1;
  }
  let hasCommandFlag = false;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-o' || arg === '+o') {
      i++;
      continue;
    }
    if (!/^[-+][A-Za-z]+$/.test(arg)) break;
    if (arg.startsWith('-') && arg.includes('c')) hasCommandFlag = true;
  }
  return hasCommandFlag && i < argv.length ? i : -1;
}

/** Interpolated values that a shell would read as more than one plain word. */
export function unsafeShellValues(interpolated: readonly string[]): string[] {
  return interpolated.filter((v) => !SHELL_INERT.test(v));
}

/** Line breaks and NUL cannot survive argv or environment transport intact, whatever the quoting. */
export function hasControlBreak(value: string): boolean {
  return /[\n\r\0]/.test(value);
}
