import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderInventorySnapshot } from '../../inventory/snapshot.js';
import { runReconcile } from '../../runtime/reconcile.js';
import { initialState } from '../../runtime/reconcile-state.js';
import { fetchRevision } from '../../runtime/steps/fetch-revision.js';
import { load } from '../../runtime/steps/load.js';
import { observe } from '../../runtime/steps/observe.js';
import { resolve } from '../../runtime/steps/resolve.js';
import { ExitCode } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions } from '../site-options.js';
import { addLiveOptions, type LiveOptions } from '../live-options.js';
import { cliReconcileDeps } from '../reconcile-deps.js';
import { unreadableZones } from '../../pipeline/zone-findings.js';

interface InventoryOptions extends LiveOptions {
  out?: string;
}

export const registerInventory: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('inventory')))
    .description('Observe the nodes of a revision and print the inventory snapshot (JSON), for `plan --inventory`. Changes nothing.')
    .option('--out <file>', 'write the snapshot to a file instead of stdout')
    .action(async (options: InventoryOptions) => {
      const reconcile = cliReconcileDeps(options, io, () => undefined);
      try {
        // Resolved again after observing: the diagnostics are those of a plan against this snapshot.
        const { outcome, state } = await runReconcile({ site: options.repo ?? io.cwd, state: initialState() }, [fetchRevision, load, resolve, observe, resolve], reconcile.deps);
        if (outcome.type === 'fail') throw outcome.error;
        printDiagnostics(io, state.diagnostics);
        if (!state.inventory) return setExit(ExitCode.Error);
        const text = renderInventorySnapshot(state.inventory);
        if (options.out) await writeFile(path.resolve(io.cwd, options.out), text);
        else io.stdout(text);
        const unreachable = Object.entries(state.inventory.nodes).filter(([, n]) => !n.reachable);
        for (const [name, n] of unreachable) io.stderr(`warning: node ${name} unreachable: ${n.error ?? 'unknown reason'}\n`);
        const unread = Object.entries(unreadableZones(state.inventory));
        for (const [zone, why] of unread) io.stderr(`warning: ${zone} could not be read: ${why.message} [${why.code}]\n`);
        setExit(unreachable.length > 0 || unread.length > 0 ? ExitCode.Error : ExitCode.Ok);
      } finally {
        await reconcile.close();
      }
    });
};
