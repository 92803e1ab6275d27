/**
 * A Git server over SSH that behaves like a hosting service (GitHub, GitLab, Gitea): a real sshd whose
 * only key is forced through `git-shell -c "$SSH_ORIGINAL_COMMAND"`, so it runs `git-upload-pack '<path>'`
 * and refuses anything else (`--stateless-rpc`, a shell, a quoted program name). Every command a client
 * sent is logged, so tests can see exactly what went over the wire and how many channels a fetch took.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeKeyPair, startSshd, tempDir, type KeyPair } from './sshd.js';

const run = promisify(execFile);

export interface GitSshServer {
  port: number;
  /** The server's host key, an OpenSSH public key line. */
  hostKey: string;
  /** The key the server accepts (its private half is what the controller's secret store would hold). */
  client: KeyPair;
  /** A known_hosts line pinning this server's key (for `[127.0.0.1]:port`, or `127.0.0.1` on port 22). */
  knownHostsLine: string;
  /** `ssh://root@127.0.0.1:<port><path>`. */
  url(path: string): string;
  /** The commands clients sent, one per exec channel, as git-shell got them. */
  commands(): string[];
  /** sshd's log (DEBUG1): connections and logins. */
  log(): string;
  stop(): Promise<void>;
}

interface Login {
  dir: string;
  client: KeyPair;
  /** The authorized_keys line: the client key, forced through git-shell, logging each command. */
  authorizedKey: string;
  commands(): string[];
}

async function gitShellLogin(): Promise<Login> {
  const dir = await tempDir('underlay-git-sshd-');
  const client = await makeKeyPair(dir, 'git-client');
  const log = join(dir, 'commands.log');
  await writeFile(log, '');
  // sshd runs the forced command with the login shell; the original command reaches it only in the variable.
  const forced = `printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> ${log}; exec git-shell -c "$SSH_ORIGINAL_COMMAND"`;
  const options = `command="${forced.replaceAll('"', '\\"')}",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding`;
  return { dir, client, authorizedKey: `${options} ${client.publicKey}`, commands: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** On 127.0.0.1 and a free port. */
export async function startGitSshServer(): Promise<GitSshServer> {
  const login = await gitShellLogin();
  const sshd = await startSshd({ authorizedKeys: [login.authorizedKey] });
  return {
    port: sshd.port,
    hostKey: sshd.hostKey,
    client: login.client,
    knownHostsLine: `[127.0.0.1]:${sshd.port} ${sshd.hostKey}`,
    url: (path) => `ssh://root@127.0.0.1:${sshd.port}${path}`,
    commands: login.commands,
    log: sshd.log,
    stop: async () => {
      await sshd.stop();
      await rm(login.dir, { recursive: true, force: true });
    },
  };
}

export interface NetnsGitSshServer extends GitSshServer {
  /** The network namespace, in which only this server listens: run clients with `ip netns exec <netns>`. */
  netns: string;
}

/**
 * On port 22 of 127.0.0.1 in a network namespace of its own, so `user@host:path` (which has no port) can
 * be tested for real without touching the machine's port 22.
 */
export async function startGitSshServerInNetns(): Promise<NetnsGitSshServer> {
  const login = await gitShellLogin();
  const netns = `ul-gitssh-${randomBytes(4).toString('hex')}`;
  await run('ip', ['netns', 'add', netns]);
  let child: ChildProcess | undefined;
  const teardown = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await run('ip', ['netns', 'del', netns]).catch(() => undefined);
    await rm(login.dir, { recursive: true, force: true });
  };
  try {
    await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    const hostKeyPath = join(login.dir, 'ssh_host_ed25519_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKeyPath]);
    const hostKey = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim();
    await writeFile(join(login.dir, 'authorized_keys'), `${login.authorizedKey}\n`, { mode: 0o600 });
    const config = [
      'Port 22',
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyPath}`,
      `AuthorizedKeysFile ${join(login.dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PidFile none',
      'StrictModes no',
      'LogLevel DEBUG1',
      'SetEnv SHLVL=1',
    ];
    await writeFile(join(login.dir, 'sshd_config'), config.join('\n') + '\n');
    const logPath = join(login.dir, 'sshd.log');
    const sshd = spawn('ip', ['netns', 'exec', netns, '/usr/sbin/sshd', '-D', '-E', logPath, '-f', join(login.dir, 'sshd_config')], { stdio: 'ignore' });
    child = sshd;
    const exited = new Promise<void>((resolve) => sshd.once('exit', () => resolve()));
    const log = (): string => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor(() => log().includes('Server listening on 127.0.0.1 port 22'), exited, log);
    return {
      netns,
      port: 22,
      hostKey,
      client: login.client,
      knownHostsLine: `127.0.0.1 ${hostKey}`,
      url: (path) => `ssh://root@127.0.0.1${path}`,
      commands: login.commands,
      log,
      stop: teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

async function waitFor(ready: () => boolean, exited: Promise<void>, log: () => string): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  for (let i = 0; i < 200; i++) {
    if (ready()) return;
    if (dead) throw new Error(`sshd exited before listening:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd not listening after 10 s:\n${log()}`);
}
