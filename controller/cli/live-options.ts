/**
 * Options and wiring shared by the commands that talk to live nodes (apply, inventory, plan): where the
 * controller's state and secrets are, how many nodes at once, and the SSH identity.
 */
import { Option, type Command } from 'commander';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { systemClock } from '../store/clock.js';
import { DEFAULT_STATE_DIR, SqliteStore, stateDatabaseFile } from '../store/sqlite-store.js';
import { SshTransport, type SshAuth } from '../transport/ssh-transport.js';
import { UsageError, type CliIO } from './io.js';
import type { SiteOptions } from './site-options.js';

export interface StateOptions {
  stateDir?: string;
}

export interface LiveOptions extends SiteOptions, StateOptions {
  secretsDir?: string;
  concurrency: string;
}

export function addStateOption(command: Command): Command {
  return command.addOption(
    new Option('--state-dir <dir>', `where the controller keeps its database (default: ${DEFAULT_STATE_DIR})`).env('UNDERLAY_STATE_DIR'),
  );
}

export function addLiveOptions(command: Command): Command {
  return addStateOption(command)
    .addOption(
      new Option('--secrets-dir <dir>', 'controller secrets; the SSH client key is <dir>/ssh/id_ed25519 (else ssh-agent)').env('UNDERLAY_SECRETS_DIR'),
    )
    .option('--concurrency <n>', 'nodes observed and changed at once', '8');
}

export function stateDirOf(options: StateOptions, io: CliIO): string {
  return path.resolve(io.cwd, options.stateDir ?? DEFAULT_STATE_DIR);
}

export function openStore(options: StateOptions, io: CliIO): SqliteStore {
  return SqliteStore.open({ file: stateDatabaseFile(stateDirOf(options, io)), clock: systemClock });
}

export function concurrencyOf(options: LiveOptions): number {
  const n = Number(options.concurrency);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a positive integer, got ${options.concurrency}`);
  return n;
}

/** The controller's SSH identity: its key file when present, else a running ssh-agent. */
export async function sshTransport(options: LiveOptions, io: CliIO): Promise<SshTransport> {
  const secrets = path.resolve(io.cwd, options.secretsDir ?? path.join(stateDirOf(options, io), 'secrets'));
  const keyFile = path.join(secrets, 'ssh', 'id_ed25519');
  let auth: SshAuth;
  try {
    await access(keyFile);
    auth = { type: 'key-file', path: keyFile };
  } catch {
    if (!io.env.SSH_AUTH_SOCK) throw new UsageError(`no SSH client key at ${keyFile} and no ssh-agent (SSH_AUTH_SOCK unset)`);
    auth = { type: 'agent', socket: io.env.SSH_AUTH_SOCK };
  }
  return new SshTransport({ auth, maxConcurrent: concurrencyOf(options) * 2 });
}

