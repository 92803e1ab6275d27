/**
 * Real OpenSSH servers for tests, on 127.0.0.1 and free ports. Tests run as root; sshd needs its
 * privilege-separation directory and refuses relative binary paths, hence the fixed /usr/sbin/sshd.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NodeEndpoint } from '../../controller/transport/transport.js';

const run = promisify(execFile);

export interface KeyPair {
  privateKeyPath: string;
  /** OpenSSH public key line. */
  publicKey: string;
}

export async function makeKeyPair(dir: string, name: string, type = 'ed25519'): Promise<KeyPair> {
  const privateKeyPath = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', privateKeyPath]);
  const publicKey = (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim();
  return { privateKeyPath, publicKey };
}

export async function tempDir(prefix = 'underlay-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface TestSshd {
  port: number;
  dir: string;
  /** The server's host key as an OpenSSH public key line: what a Node document pins. */
  hostKey: string;
  hostKeyPath: string;
  /** Everything sshd (and its per-connection children) logged so far, at LogLevel DEBUG1. */
  log(): string;
  /** Successful authentications so far: one per SSH connection the transport opened. */
  acceptedLogins(): number;
  endpoint(name: string, extra?: Partial<NodeEndpoint>): NodeEndpoint;
  stop(): Promise<void>;
}

export interface StartSshdOptions {
  authorizedKeys: string[];
  /** Extra sshd_config lines. */
  config?: string[];
  readyTimeoutMs?: number;
}

export async function startSshd(options: StartSshdOptions): Promise<TestSshd> {
  // A free port can be taken between probing and sshd binding it; a few tries make that race harmless.
  let lastError: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(options: StartSshdOptions): Promise<TestSshd> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await tempDir('underlay-sshd-');
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', hostKeyPath]);
  const hostKey = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim();
  const authorizedKeysPath = join(dir, 'authorized_keys');
  await writeFile(authorizedKeysPath, options.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyPath}`,
    `AuthorizedKeysFile ${authorizedKeysPath}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PidFile none',
    'StrictModes no',
    'MaxStartups 100:30:200',
    'AllowTcpForwarding yes',
    'LogLevel DEBUG1',
    // bash skips ~/.bashrc for ssh commands when SHLVL is already set; root's .bashrc runs a slow pyenv init.
    'SetEnv SHLVL=1',
    ...(options.config ?? []),
  ];
  const configPath = join(dir, 'sshd_config');
  await writeFile(configPath, config.join('\n') + '\n');

  // -E (a log file) rather than -e: with -e, debug lines of the session child leak into the client's stderr.
  const logPath = join(dir, 'sshd.log');
  const child = spawn('/usr/sbin/sshd', ['-D', '-E', logPath, '-f', configPath], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const log = (): string => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };

  try {
    await waitForBanner(port, options.readyTimeoutMs ?? 10_000, exited, log);
  } catch (err) {
    await stopChild(child, exited);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    dir,
    hostKey,
    hostKeyPath,
    log,
    acceptedLogins: () => log().match(/Accepted publickey for /g)?.length ?? 0,
    endpoint: (name, extra) => ({ name, address: '127.0.0.1', port, user: 'root', hostKey, ...extra }),
    stop: async () => {
      await stopChild(child, exited);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForBanner(
  port: number,
  timeoutMs: number,
  exited: Promise<number | null>,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`sshd exited before accepting connections:\n${log()}`);
    if (await hasBanner(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd on port ${port} not ready after ${timeoutMs} ms:\n${log()}`);
}

function hasBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.once('data', (d: Buffer) => done(d.toString('latin1').startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
