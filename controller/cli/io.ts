import { UnderlayError } from '../model/errors.js';

/** Where a command writes. Passed in so tests can run the CLI in-process and capture both streams. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Working directory (default for --repo). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal: colours and apply's progress line only then, never in files or CI logs. */
  isTTY?: boolean;
}

export const processIO = (): CliIO => ({
  stdout: writerTo(process.stdout),
  stderr: writerTo(process.stderr),
  cwd: process.cwd(),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
});

/**
 * Writes to one of the process's streams. When the reader goes away (`underlay plan | head -1`) writes fail
 * with EPIPE: from then on output is dropped, quietly, and the command still runs to its end and its exit
 * code, because `| head` asks for fewer lines, not for an apply stopped half-way. Other stream errors are
 * not expected and stay errors.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let readerGone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') readerGone = true;
    else if (!readerGone) throw error;
  });
  // A failed write destroys the stream at once; its 'error' event follows only on the next tick.
  return (text) => {
    if (!readerGone && !stream.destroyed) stream.write(text);
  };
}

/**
 * Documented exit codes. With --detailed-exitcode, plan follows Terraform's convention so CI can tell
 * "nothing to do" from "changes pending" without parsing output.
 */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Changes: 2,
} as const;

/** An error the user caused (bad flag, bad file): printed without a stack trace. */
export class UsageError extends UnderlayError {
  constructor(message: string) {
    super({ code: 'UsageError', message, data: {} });
  }
}
