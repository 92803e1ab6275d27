/**
 * Values must never become shell or interpreter source: `sh -c "rm -rf {{ inputs.dir }}"` with a dir of
 * `x; reboot` runs the reboot. Programs get argv, and a script that needs a value takes it as "$1".
 *
 * The rule is decided by data, not by recognising programs, because the programs that hand an argument to a
 * shell or an interpreter can never all be listed (env -S, sudo, flock, chroot, nsenter, find -exec, xargs,
 * watch, script -c, ssh, python3 -c, perl -e ...). What the renderer does know is which characters of each
 * argv element came from a value and which from the module's own text:
 *
 * 1. **Spliced values.** A value with shell or interpreter metacharacters is refused in any element that also
 *    holds literal text (or other text that is not the value), whatever the program: once a value is part of
 *    a larger string, some wrapper may parse that string as code. As an argv element of its own it reaches
 *    the program verbatim (execve, and the transport quotes every element for the remote shell).
 * 2. **Code positions.** Even a whole element is code where the literal elements make it so: the script of a
 *    shell run with `-c` (found anywhere in argv, so behind any wrapper), or the argument of an option that by
 *    convention takes a program (`-c`, `-e`, `-exec`, `--eval`, `env -S` ...). No value may appear there at
 *    all, whatever it contains: no character set is inert in every interpreter (a "plain word" is a whole
 *    command at a shell's command position, `q+...+` is a string in perl), and a whole-element value there
 *    *is* the program. The conventions are few and shared by interpreters that do not exist yet, unlike the
 *    list of programs; where a program reads such an option as data (`useradd -c`), its long option
 *    (`--comment`) or a positional parameter serves.
 *
 * Positional parameters to a script that is literal in the module (`sh -c 'mkdir -p "$1"' _ "{{ dir }}"`,
 * `python3 -c 'import sys; ...' "{{ v }}"`) are whole elements after the script, so they pass: that is the way
 * to give a script a value. What a literal script then does with "$1" (an `eval`, say) is reviewed module
 * code, not a value. Left open, as for any argv: a program that reads a whole *operand* as code (ssh's remote
 * command, watch, awk's program); only the module author can know that, and the element is then all value.
 */

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'yash', 'posh', 'rbash', 'fish', 'csh', 'tcsh']);

/** Characters that mean the same thing to a shell quoted or not. */
const SHELL_INERT = /^[A-Za-z0-9_./:=@%+,-]*$/;

/** Shell options that consume the next element (an option name, a file). */
const SHELL_OPTIONS_WITH_ARGUMENT = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);

/**
 * Options whose argument is a program by convention: `-c` (shells, python, su, runuser, flock, script,
 * expect), `-e`/`-E` (perl, ruby, node, sed, awk, lua), clusters ending in one of them (`-ec`, `-ne`, `-lpe`),
 * `-S`/`--split-string` (env), find's `-exec` family, and the long spellings of the same.
 */
const CODE_OPTION = /^(?:-[A-Za-z]{0,2}[ceE]|-S|-exec|-execdir|-ok|-okdir|--(?:command|eval|exec|execute|eval-command|split-string))$/;

/** One argv element as rendered: its text, and every value a `{{ }}` wrote into it. */
export interface RenderedArgument {
  text: string;
  interpolated: readonly string[];
}

export type ShellFinding =
  /** A value with metacharacters joined to other text in one element. */
  | { index: number; problem: 'spliced'; value: string }
  /** A value in an element that the literal elements make code; `because` says which, `whole` if it is all value. */
  | { index: number; problem: 'code'; value: string; whole: boolean; because: string };

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The script element of the shell whose name is at `at`, if it runs one with `-c`; else -1. */
function scriptOf(argv: readonly string[], at: number): number {
  let i = at + 1;
  let hasCommandFlag = false;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--' || arg === '-') {
      i++;
      break;
    }
    if (SHELL_OPTIONS_WITH_ARGUMENT.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('--')) continue;
    if (!/^[-+][A-Za-z]+$/.test(arg)) break;
    if (arg.startsWith('-') && arg.includes('c')) hasCommandFlag = true;
    // In a cluster such as `-eo pipefail` the `o` takes the next element as its option name.
    if (/[oO]/.test(arg.slice(1))) i++;
  }
  return hasCommandFlag && i < argv.length ? i : -1;
}

/**
 * Indexes of every element that a shell in argv runs as its `-c` script: the shell may be argv[0] or behind
 * any wrapper (`env sh -c`, `sudo -u x bash --norc -c`, `find -exec sh -c`, `busybox sh -c`).
 */
export function shellScripts(argv: readonly string[]): Map<number, string> {
  const scripts = new Map<number, string>();
  argv.forEach((arg, i) => {
    const name = basename(arg);
    if (!SHELLS.has(name)) return;
    const script = scriptOf(argv, i);
    if (script >= 0 && !scripts.has(script)) scripts.set(script, `it is the script of ${name} -c`);
  });
  return scripts;
}

/** Elements that are code because of the literal elements around them, with why. */
function codePositions(argv: readonly string[]): Map<number, string> {
  const positions = shellScripts(argv);
  argv.forEach((arg, i) => {
    if (i + 1 < argv.length && CODE_OPTION.test(arg) && !positions.has(i + 1)) {
      positions.set(i + 1, `it follows ${arg}, which by convention takes a program, as in sh -c, python3 -c, perl -e, find -exec; where a program reads it as data, use its long option`);
    }
  });
  return positions;
}

/** Interpolated values that a shell would read as more than one plain word. */
export function unsafeShellValues(interpolated: readonly string[]): string[] {
  return interpolated.filter((v) => !SHELL_INERT.test(v));
}

/** Every place in argv (from index `from` on) where a value would reach a shell or interpreter as source. */
export function unsafeArgvValues(argv: readonly RenderedArgument[], from = 0): ShellFinding[] {
  const code = codePositions(argv.map((a) => a.text));
  const findings: ShellFinding[] = [];
  argv.forEach(({ text, interpolated }, index) => {
    if (index < from || interpolated.length === 0) return;
    const whole = interpolated.join('') === text;
    const because = code.get(index);
    if (because !== undefined) {
      for (const value of whole ? [text] : new Set(interpolated)) findings.push({ index, problem: 'code', value, whole, because });
    } else if (!whole) {
      for (const value of new Set(unsafeShellValues(interpolated))) findings.push({ index, problem: 'spliced', value });
    }
  });
  return findings;
}

/** Line breaks and NUL cannot survive argv or environment transport intact, whatever the quoting. */
export function hasControlBreak(value: string): boolean {
  return /[\n\r\0]/.test(value);
}
