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
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
});

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
export class UsageError extends Error {
  readonly code = 'UsageError';
}
