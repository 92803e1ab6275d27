/**
 * `underlay force-unlock`: for people, when an apply that holds the site lock or a node lease is gone for
 * good in a way underlay cannot tell (another machine, a hung process). An apply that died on this machine,
 * or whose lease expired, is taken over without it (ADR 0008).
 */
import { existsSync } from 'node:fs';
import { breakLeases } from '../../apply/node-leases.js';
import { siteEndpoints } from '../../apply/apply-targets.js';
import { loadSpec } from '../../load/load-spec.js';
import { describeController } from '../../store/controller-registration.js';
import { describeHolder } from '../../store/lock-holder.js';
import { stateDatabaseFile } from '../../store/sqlite-store.js';
import { siteIdOf, type Spec } from '../../spec/spec.js';
import type { Revision } from '../../source/revision.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision } from '../site-options.js';
import { addLiveOptions, openStore, sshTransport, type LiveOptions } from '../live-options.js';
import { stateDirOf } from '../state-options.js';

interface ForceUnlockOptions extends LiveOptions {
  site?: string;
  node?: string[];
  controller?: boolean;
}

const WARNING =
  'warning: force-unlock removes locks whoever holds them. If the apply that holds one is still running, two applies now ' +
  'change the same nodes at once: use it only for an apply that is gone for good (an apply that died on this machine, or ' +
  'whose lease expired, is taken over without it)\n';

async function siteOf(options: ForceUnlockOptions, io: CliIO): Promise<{ site: string; revision?: Revision; spec?: Spec }> {
  if (options.site !== undefined && !options.node?.length) return { site: options.site };
  const revision = await readSiteRevision(options, io);
  const loaded = loadSpec(revision);
  if (!loaded.spec) {
    printDiagnostics(io, loaded.diagnostics);
    throw new UsageError('the site repository does not load, so its nodes cannot be found (give --site ID to remove the site lock alone)');
  }
  const site = siteIdOf(loaded.spec);
  if (options.site !== undefined && options.site !== site) throw new UsageError(`--site ${options.site} is not the repository's site (${site})`);
  return { site, revision, spec: loaded.spec };
}

async function breakSiteLock(options: ForceUnlockOptions, io: CliIO, site: string): Promise<string> {
  const dir = stateDirOf(options, io);
  if (!existsSync(stateDatabaseFile(dir))) return `site ${site}: no state at ${dir}, so no site lock`;
  const store = openStore(options, io, site);
  try {
    const removed = await store.breakSiteLock();
    const lines = [removed ? `site ${site}: removed the site lock of ${describeHolder(removed.holder)}` : `site ${site}: not locked`];
    if (options.controller) {
      const registration = store.controllerRegistrations().breakRegistration();
      lines.push(registration ? `site ${site}: removed the registration of the ${describeController(registration)}` : `site ${site}: no controller registered`);
    }
    return lines.join('\n');
  } finally {
    await store.close();
  }
}

export const registerForceUnlock: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('force-unlock')))
    .description('Remove the site lock in the state directory and, with --node, the leases on those nodes, whoever holds them. For people: an apply that is gone for good.')
    .option('--site <id>', "the site whose lock to remove (its Site document's name; default: the repository's site)")
    .option('--node <name...>', 'also remove the lease on these nodes (reached as the repository says)')
    .option('--controller', 'also remove the registration of the controller that runs the site, so a CLI apply is no longer refused (a controller still running registers again at its next heartbeat)')
    .addHelpText('after', '\nExit codes: 0 done (also when nothing was locked), 1 error or a node whose lease could not be removed.')
    .action(async (options: ForceUnlockOptions) => {
      io.stderr(WARNING);
      const { site, revision, spec } = await siteOf(options, io);
      io.stdout(`${await breakSiteLock(options, io, site)}\n`);
      const names = options.node ?? [];
      if (names.length === 0 || !spec || !revision) return setExit(ExitCode.Ok);
      const unknown = names.filter((n) => !(n in spec.nodes));
      if (unknown.length > 0) throw new UsageError(`no node ${unknown.join(', ')} in site ${site}`);
      const endpoints = siteEndpoints(spec).filter((e) => names.includes(e.name));
      const transport = await sshTransport(options, io, revision);
      // The store only remembers the leases for `status`: without a state directory there is nothing to forget.
      const store = existsSync(stateDatabaseFile(stateDirOf(options, io))) ? openStore(options, io, site) : undefined;
      try {
        const { lines, failed } = await breakLeases(transport, endpoints, store);
        for (const line of lines) io.stdout(`${line}\n`);
        setExit(failed.length > 0 ? ExitCode.Error : ExitCode.Ok);
      } finally {
        await store?.close();
        await transport.close();
      }
    });
};
