import { Option } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../../plan/plan.js';
import { readSiteStatus } from '../../status/read-site-status.js';
import { renderSiteStatusText } from '../../status/site-status.js';
import { canonicalJson } from '../../plan/canonical-json.js';
import { ExitCode } from '../io.js';
import type { Register } from '../main.js';
import { addStateOption, openStore, type StateOptions } from '../live-options.js';

interface StatusOptions extends StateOptions {
  output: 'text' | 'json';
  plan?: string;
}

export const registerStatus: Register = (program, io, setExit) => {
  addStateOption(program.command('status'))
    .description('Show conditions per cluster and node (Ready, Failed, RolloutHalted, Interrupted, Pending) from the last runs.')
    .addOption(new Option('--output <format>', 'how to print').choices(['text', 'json']).default('text'))
    .option('--plan <file>', 'the latest saved plan: its changes show as Pending and its clusters are listed')
    .addHelpText('after', '\nExit codes: 0 every node Ready, 1 otherwise or on error.')
    .action(async (options: StatusOptions) => {
      const plan = options.plan ? (JSON.parse(await readFile(path.resolve(io.cwd, options.plan), 'utf8')) as Plan) : undefined;
      const store = openStore(options, io);
      try {
        // Reading status also settles runs whose process died, so they show as interrupted, not running.
        await store.recoverInterruptedRuns();
        const status = await readSiteStatus(store, plan ? { plan } : {});
        io.stdout(options.output === 'json' ? canonicalJson(status, 2) + '\n' : renderSiteStatusText(status));
        const allReady = status.nodes.every((n) => n.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
        setExit(allReady ? ExitCode.Ok : ExitCode.Error);
      } finally {
        await store.close();
      }
    });
};
