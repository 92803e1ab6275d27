/**
 * Options and wiring shared by the commands that talk to live nodes (apply, inventory, plan): where the
 * controller's state and secrets are, how many nodes at once, and the SSH identity.
 */
import { type Command } from 'commander';
import { existsSync } from 'node:fs';
import { systemClock } from '../clock.js';
import { SqliteStore, stateDatabaseFile } from '../store/sqlite-store.js';
import type { SshAuth, SshTransport, SshTransportOptions } from '../transport/ssh-transport.js';
import { DEFAULT_SITE_ID } from '../load/catalog.js';
import { loadSpec } from '../load/load-spec.js';
import { SecretError } from '../secrets/secret-store.js';
import type { Revision } from '../source/revision.js';
import { SiteSpec, type SiteDoc } from '../spec/schema.js';
import { UsageError, type CliIO } from './io.js';
import type { SiteOptions } from './site-options.js';
import { addSecretsOption, addStateOption, secretStoreOf, stateDirOf, type StateOptions } from './state-options.js';

export interface LiveOptions extends SiteOptions {
  concurrency: string;
}

export function addLiveOptions(command: Command): Command {
  return addSecretsOption(addStateOption(command)).option('--concurrency <n>', 'nodes observed and changed at once', '8');
}

/** The state database of `site` (its id), created and migrated when needed. */
export function openStore(options: StateOptions, io: CliIO, site: string): SqliteStore {
  return SqliteStore.open({ file: stateDatabaseFile(stateDirOf(options, io)), site, clock: systemClock });
}

/**
 * The state database, for reading only: never created. The site is `site`, else the only one the database
 * holds. Throws a UsageError saying where it looked when there is none, or which sites there are to choose from.
 */
export function openExistingStore(options: StateOptions, io: CliIO, site: string | undefined): SqliteStore {
  const dir = stateDirOf(options, io);
  const file = stateDatabaseFile(dir);
  if (!existsSync(file)) {
    throw new UsageError(`no state at ${dir}: nothing was applied with this state directory (give --state-dir DIR or set UNDERLAY_STATE_DIR to where apply keeps it)`);
  }
  if (site !== undefined) return SqliteStore.openReadOnly({ file, site, clock: systemClock });
  const sites = SqliteStore.sitesIn(file);
  if (sites.length > 1) throw new UsageError(`the state at ${dir} holds sites ${sites.join(', ')}: say which with --site ID`);
  return SqliteStore.openReadOnly({ file, site: sites[0] ?? DEFAULT_SITE_ID, clock: systemClock });
}

/**
 * The state database of `site`, read only, for the IP pool ledger of commands that change nothing (plan,
 * inventory); undefined when there is none, or it cannot be read (the warning says so: pools are then
 * observed as empty, and their addresses planned as new).
 */
export function openLedgerReadOnly(options: StateOptions, io: CliIO, site: string): SqliteStore | undefined {
  const file = stateDatabaseFile(stateDirOf(options, io));
  if (!existsSync(file)) return undefined;
  try {
    return SqliteStore.openReadOnly({ file, site, clock: systemClock });
  } catch (error) {
    io.stderr(`warning: the IP pool ledger in ${file} cannot be read (${error instanceof Error ? error.message : String(error)}): pools are observed as empty\n`);
    return undefined;
  }
}

export function concurrencyOf(options: LiveOptions): number {
  const n = Number(options.concurrency);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a positive integer, got ${options.concurrency}`);
  return n;
}

/** The site's SSH settings (Site.spec.ssh): the client key's secret name, the dead-peer rule. */
function siteSshOf(revision: Revision): SiteDoc['spec']['ssh'] {
  return loadSpec(revision).spec?.site.doc.spec.ssh ?? SiteSpec.parse({}).ssh;
}

/**
 * The controller's SSH identity: the client key the site names, from the secret store; else a running
 * ssh-agent. A key file readable by others is refused, not used.
 */
export async function sshTransport(options: LiveOptions, io: CliIO, revision: Revision): Promise<SshTransport> {
  // Loaded here, not at start-up: ssh2 costs every command that does not reach a node (plan offline) ~35 ms.
  const { SshTransport } = await import('../transport/ssh-transport.js');
  return new SshTransport(await sshTransportOptions(options, io, revision));
}

/** The SSH settings of a revision for these options: the identity, the concurrency, the dead-peer rule. */
export async function sshTransportOptions(options: LiveOptions, io: CliIO, revision: Revision): Promise<SshTransportOptions> {
  const ssh = siteSshOf(revision);
  const name = ssh.clientKeySecret;
  let auth: SshAuth;
  try {
    auth = { type: 'key-file', path: await secretStoreOf(options, io).file(name) };
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    if (error.code !== 'SecretNotFound' || !io.env.SSH_AUTH_SOCK) {
      const agent = io.env.SSH_AUTH_SOCK ? '' : ', and no ssh-agent (SSH_AUTH_SOCK unset)';
      throw new SecretError(error.code, error.data.name, `SSH client key (Site.spec.ssh.clientKeySecret ${name}): ${error.message}${agent}`);
    }
    auth = { type: 'agent', socket: io.env.SSH_AUTH_SOCK };
  }
  return {
    auth,
    maxConcurrent: concurrencyOf(options) * 2,
    keepaliveIntervalMs: ssh.keepaliveIntervalSeconds * 1000,
    keepaliveCountMax: ssh.keepaliveCountMax,
  };
}

