/**
 * A Git server over SSH that behaves like a hosting service (GitHub, GitLab, Gitea): a real sshd whose
 * only key is forced through `git-shell -c "$SSH_ORIGINAL_COMMAND"`, so it runs `git-upload-pack '<path>'`
 * and refuses anything else (`--stateless-rpc`, a shell, a quoted program name). Every command a client
 * sent is logged, so tests can see exactly what went over the wire and how many channels a fetch took.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeKeyPair, startSshd, tempDir, type KeyPair, type TestSshd } from '../../controller/transport/test-sshd.js';

export interface GitSshServer {
  sshd: TestSshd;
  /** The key the server accepts (its private half is what the controller's secret store would hold). */
  client: KeyPair;
  /** A known_hosts line pinning this server's key for `[127.0.0.1]:port`. */
  knownHostsLine: string;
  /** `ssh://root@127.0.0.1:<port><path>`. */
  url(path: string): string;
  /** The commands clients sent, one per exec channel, as git-shell got them. */
  commands(): string[];
  stop(): Promise<void>;
}

export async function startGitSshServer(): Promise<GitSshServer> {
  const dir = await tempDir('underlay-git-sshd-');
  const client = await makeKeyPair(dir, 'git-client');
  const log = join(dir, 'commands.log');
  await writeFile(log, '');
  // sshd runs the forced command with the login shell; the original command reaches it only in the variable.
  const forced = `printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> ${log}; exec git-shell -c "$SSH_ORIGINAL_COMMAND"`;
  const options = `command="${forced.replaceAll('"', '\\"')}",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding`;
  const sshd = await startSshd({ authorizedKeys: [`${options} ${client.publicKey}`] });
  return {
    sshd,
    client,
    knownHostsLine: `[127.0.0.1]:${sshd.port} ${sshd.hostKey}`,
    url: (path) => `ssh://root@127.0.0.1:${sshd.port}${path}`,
    commands: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    stop: async () => {
      await sshd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
