/**
 * The process around the CLI: what bin/underlay.js runs, compiled into dist/. It gives main() the real
 * argv, streams and exit code, and turns an error thrown outside main() (an event emitter with no error
 * listener, a promise nobody awaited) into the same one-line internal error main() prints, exit 1.
 */
import { ExitCode } from './io.js';
import { internalErrorMessage } from './internal-error.js';
import { main } from './main.js';

export async function runCli(argv: string[]): Promise<void> {
  process.on('uncaughtException', (error) => {
    process.stderr.write(internalErrorMessage(error, process.env));
    process.exit(ExitCode.Error);
  });
  process.exitCode = await main(argv);
}
