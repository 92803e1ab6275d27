/**
 * The `underlay` command line. Each subcommand lives in commands/ and returns its exit code; nothing in
 * here calls process.exit, so the CLI can be driven in-process by tests as well as from bin/underlay.js.
 */
import { Command, CommanderError } from 'commander';
import { type CliIO, ExitCode, processIO, UsageError } from './io.js';
import { registerValidate } from './commands/validate.js';
import { registerPlan } from './commands/plan.js';
import { registerSchema } from './commands/schema.js';
import { registerApply } from './commands/apply.js';
import { registerInventory } from './commands/inventory.js';
import { registerStatus } from './commands/status.js';
import { registerNodes } from './commands/nodes.js';
import { registerForceUnlock } from './commands/force-unlock.js';

export type Register = (program: Command, io: CliIO, setExit: (code: number) => void) => void;

const COMMANDS: Register[] = [registerValidate, registerPlan, registerSchema, registerApply, registerInventory, registerStatus, registerNodes, registerForceUnlock];

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('underlay')
    .description('GitOps reconciliation for underlay infrastructure: plan and converge nodes and services from a Git repository.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      'after',
      '\nExit codes: 0 success (no changes with --detailed-exitcode), 1 error, 2 changes pending (plan/apply --detailed-exitcode).',
    );
  for (const register of COMMANDS) register(program, io, setExit);
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exit: number = ExitCode.Ok;
  const program = buildProgram(io, (code) => {
    exit = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end parsing with exit code 0; usage errors with 1 (already printed).
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    if (error instanceof UsageError || (error instanceof Error && 'code' in error)) {
      io.stderr(`error: ${error.message}\n`);
      return ExitCode.Error;
    }
    io.stderr(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Error;
  }
}
