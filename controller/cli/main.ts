/**
 * The `underlay` command line. Each subcommand lives in commands/ and returns its exit code; nothing in
 * here calls process.exit, so the CLI can be driven in-process by tests as well as from bin/underlay.js.
 */
import { Command, CommanderError } from 'commander';
import { toErrorRecord } from '../model/errors.js';
import { type CliIO, ExitCode, processIO } from './io.js';
import { internalErrorMessage } from './internal-error.js';

export type Register = (program: Command, io: CliIO, setExit: (code: number) => void) => void;

const siteActions = async (): Promise<Register> => (await import('./commands/site-actions.js')).registerSiteActions;

/**
 * Each command's module, loaded only when argv names it: start-up then pays for the dependencies of that
 * one command (ssh2 and SQLite are not loaded by `validate`). Listed in the order `--help` shows them.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  validate: async () => (await import('./commands/validate.js')).registerValidate,
  plan: async () => (await import('./commands/plan.js')).registerPlan,
  schema: async () => (await import('./commands/schema.js')).registerSchema,
  apply: async () => (await import('./commands/apply.js')).registerApply,
  inventory: async () => (await import('./commands/inventory.js')).registerInventory,
  status: async () => (await import('./commands/status.js')).registerStatus,
  drift: async () => (await import('./commands/drift.js')).registerDrift,
  nodes: async () => (await import('./commands/nodes.js')).registerNodes,
  'force-unlock': async () => (await import('./commands/force-unlock.js')).registerForceUnlock,
  pki: async () => (await import('./commands/pki.js')).registerPki,
  state: async () => (await import('./commands/state.js')).registerState,
  rollout: async () => (await import('./commands/rollout.js')).registerRollout,
  controller: async () => (await import('./commands/controller.js')).registerController,
  approve: siteActions,
  reconcile: siteActions,
  suspend: siteActions,
  resume: siteActions,
};

/**
 * The commands argv needs: the one it names; none for `--version`; else all of them (`--help`, `help`, a
 * typo), so help lists every command and commander's "unknown command" can suggest the right one.
 * The top-level program has no options that take a value, so the first word not starting with `-` is the command.
 */
async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const named = argv.find((arg) => !arg.startsWith('-'));
  if (named !== undefined && Object.hasOwn(COMMANDS, named)) return [await COMMANDS[named]!()];
  const onlyVersion = named === undefined && argv.some((a) => a === '--version' || a === '-V') && !argv.some((a) => a === '--help' || a === '-h');
  return onlyVersion ? [] : Promise.all([...new Set(Object.values(COMMANDS))].map((load) => load()));
}

function buildProgram(io: CliIO, setExit: (code: number) => void, commands: readonly Register[]): Command {
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
  for (const register of commands) register(program, io, setExit);
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exit: number = ExitCode.Ok;
  try {
    const program = buildProgram(io, (code) => {
      exit = code;
    }, await commandsFor(argv));
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end parsing with exit code 0; usage errors with 1 (already printed).
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    // An error of the user's input, the world or a node is a fact to report, not a bug: one line, with its code.
    const record = toErrorRecord(error);
    if (record.kind !== 'internal') {
      io.stderr(`error: ${record.message} [${record.code}]\n`);
      return ExitCode.Error;
    }
    io.stderr(internalErrorMessage(error, io.env));
    return ExitCode.Error;
  }
}
