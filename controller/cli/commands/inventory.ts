import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { observeLiveSite } from '../../apply/live-site.js';
import { canonicalJson } from '../../model/canonical-json.js';
import { systemClock } from '../../clock.js';
import { ExitCode } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision } from '../site-options.js';
import { addLiveOptions, concurrencyOf, sshTransport, withReadOnlyTargets, type LiveOptions } from '../live-options.js';
import { registry } from '../../../reconcilers/registry.js';

interface InventoryOptions extends LiveOptions {
  out?: string;
}

export const registerInventory: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('inventory')))
    .description('Observe the nodes of a revision and print the inventory snapshot (JSON), for `plan --inventory`. Changes nothing.')
    .option('--out <file>', 'write the snapshot to a file instead of stdout')
    .action(async (options: InventoryOptions) => {
      const revision = await readSiteRevision(options, io);
      const transport = await sshTransport(options, io, revision);
      try {
        const observed = await withReadOnlyTargets(options, io, revision, (targets) =>
          observeLiveSite({ revision, registry, transport, targets, concurrency: concurrencyOf(options), clock: systemClock }),
        );
        printDiagnostics(io, observed.diagnostics);
        if (!observed.inventory) return setExit(ExitCode.Error);
        const text = canonicalJson(observed.inventory, 2) + '\n';
        if (options.out) await writeFile(path.resolve(io.cwd, options.out), text);
        else io.stdout(text);
        const unreachable = Object.entries(observed.inventory.nodes).filter(([, n]) => !n.reachable);
        for (const [name, n] of unreachable) io.stderr(`warning: node ${name} unreachable: ${n.error ?? 'unknown reason'}\n`);
        setExit(unreachable.length > 0 ? ExitCode.Error : ExitCode.Ok);
      } finally {
        await transport.close();
      }
    });
};
