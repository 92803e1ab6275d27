/**
 * Node-side scripts run by this machine's own `sh`, for unit tests of what a kind or lease sends to a node:
 * the same scripts and argv, without an SSH hop or a test host.
 */
import { execFile } from 'node:child_process';
import type { Transport } from '../../controller/transport/transport.js';

/** A Transport whose every node is this machine; a command that fails returns its exit code, as over SSH. */
export const localTransport: Transport = {
  exec: (_node, argv, options) =>
    new Promise((resolve) => {
      const child = execFile(argv[0] as string, argv.slice(1), { encoding: 'buffer' }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 255) : 0, stdout, stderr }),
      );
      // The scripts may exit before reading their stdin.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options?.stdin ?? '');
    }),
  close: () => Promise.resolve(),
};

/** Runs argv here with `stdin`, resolving with its stdout; a non-zero exit rejects. */
export function runLocally(argv: readonly string[], stdin: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0] as string, argv.slice(1), { encoding: 'utf8', env }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin?.end(stdin);
  });
}
