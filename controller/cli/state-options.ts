/**
 * Where the controller's own files are: its state directory and its secret store. Apart from
 * live-options so that commands which never open the database (validate) do not load SQLite to find them.
 */
import { Option, type Command } from 'commander';
import { homedir } from 'node:os';
import path from 'node:path';
import { DirectorySecretStore } from '../secrets/secret-store.js';
import { DEFAULT_STATE_DIR_HELP, defaultStateDir } from '../store/state-dir.js';
import type { CliIO } from './io.js';

export interface StateOptions {
  stateDir?: string;
}

export interface SecretsOptions extends StateOptions {
  secretsDir?: string;
}

export function addStateOption(command: Command): Command {
  return command.addOption(
    new Option('--state-dir <dir>', `where the controller keeps its database and, unless --secrets-dir or --known-hosts say otherwise, its secrets and known_hosts (default: ${DEFAULT_STATE_DIR_HELP})`).env('UNDERLAY_STATE_DIR'),
  );
}

export function addSecretsOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--secrets-dir <dir>',
      "the controller's secret store: one 0600 file per secret, named as the site names it (the nodes' SSH client key: Site.spec.ssh.clientKeySecret, default ssh-client-key, else ssh-agent; the key for Git over SSH: --git-key-secret) (default: <state-dir>/secrets)",
    ).env('UNDERLAY_SECRETS_DIR'),
  );
}

export function stateDirOf(options: StateOptions, io: CliIO): string {
  return path.resolve(io.cwd, options.stateDir ?? defaultStateDir(io.env, process.getuid?.(), homedir()));
}

export function secretStoreOf(options: SecretsOptions, io: CliIO): DirectorySecretStore {
  return new DirectorySecretStore(path.resolve(io.cwd, options.secretsDir ?? path.join(stateDirOf(options, io), 'secrets')));
}
