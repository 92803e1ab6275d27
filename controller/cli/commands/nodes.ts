import { keyscan } from '../../transport/keyscan.js';
import { ExitCode, UsageError } from '../io.js';
import type { Register } from '../main.js';

export const registerNodes: Register = (program, io, setExit) => {
  const nodes = program.command('nodes').description('Work with the site\'s nodes.');
  nodes
    .command('keyscan <address>')
    .description('Print the SSH host key a node offers, to be verified against the machine (console, ssh-keygen -l) and committed to its Node document. Trusts nothing.')
    .option('--port <port>', 'SSH port', '22')
    .action(async (address: string, options: { port: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be 1-65535, got ${options.port}`);
      const scanned = await keyscan({ address, port });
      io.stdout(`${scanned.key}\n`);
      io.stderr(`${scanned.fingerprint} (${scanned.type}) from ${address}:${port}: compare with \`ssh-keygen -lf /etc/ssh/ssh_host_${scanned.type.replace(/^ssh-/, '').replace(/-.*$/, '')}_key.pub\` on the machine before committing\n`);
      setExit(ExitCode.Ok);
    });
};
