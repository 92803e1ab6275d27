/**
 * `underlay state export` and `underlay state import`: the state a state directory holds that Git cannot
 * rebuild (the IP pools' ledger, and what other sections add), for moving a controller or keeping a backup.
 * Import adds what is missing and refuses, writing nothing, on any contradiction (controller/store/state-export.ts).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '../../model/canonical-json.js';
import { readStateExport } from '../../store/state-export.js';
import { UnderlayError } from '../../model/errors.js';
import { stateDatabaseFile } from '../../store/sqlite-store.js';
import { ExitCode, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { openExistingStore, openStore } from '../live-options.js';
import { addStateOption, stateDirOf, type StateOptions } from '../state-options.js';

interface ExportOptions extends StateOptions {
  out?: string;
  site?: string;
}

async function readExportFile(io: CliIO, file: string): Promise<unknown> {
  const text = await readFile(path.resolve(io.cwd, file), 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UnderlayError({ code: 'StateExportInvalid', message: `${file} is not JSON: ${(error as Error).message}`, data: {} });
  }
}

export const registerState: Register = (program, io, setExit) => {
  const state = program.command('state').description("Export or import the state Git cannot rebuild (the IP pools' ledger, issued certificates, rollout states).");
  addStateOption(state.command('export'))
    .description("Write the site's ledger (live and released allocations), issued certificates and rollout states (halted ones, the last good revision) as JSON.")
    .option('--out <file>', 'write it to a file instead of stdout')
    .option('--site <id>', "the site (its Site document's name; default: the only site in the state directory)")
    .action(async (options: ExportOptions) => {
      const store = openExistingStore(options, io, options.site);
      try {
        const text = canonicalJson(store.exportState(), 2) + '\n';
        if (options.out) await writeFile(path.resolve(io.cwd, options.out), text, { mode: 0o600 });
        else io.stdout(text);
        setExit(ExitCode.Ok);
      } finally {
        await store.close();
      }
    });
  addStateOption(state.command('import'))
    .description('Add an export to the state directory; refused, with nothing written, where it contradicts what is there.')
    .argument('<file>', 'a file `underlay state export` wrote')
    .option('--site <id>', 'import into this site instead of the one the export names')
    .action(async (file: string, options: ExportOptions) => {
      const doc = readStateExport(await readExportFile(io, file));
      const site = options.site ?? doc.site;
      const created = !existsSync(stateDatabaseFile(stateDirOf(options, io)));
      const store = openStore(options, io, site);
      try {
        const added = store.importState(doc);
        const counts = Object.entries(added).map(([name, n]) => `${name}: ${n} added`).join(', ');
        io.stdout(`site ${site}: imported into ${created ? 'a new' : 'the'} state at ${stateDirOf(options, io)} (${counts || 'nothing to add'})\n`);
        setExit(ExitCode.Ok);
      } finally {
        await store.close();
      }
    });
};
