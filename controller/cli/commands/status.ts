import { Option } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { planFormatProblem, type Plan } from '../../model/plan.js';
import { readSiteStatus } from '../../status/read-site-status.js';
import { renderSiteStatusText } from '../../status/site-status.js';
import { readLocksStatus, renderLocksText } from '../../status/locks-status.js';
import { currentProcess, isProcessAlive } from '../../store/lock-holder.js';
import { canonicalJson } from '../../model/canonical-json.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import { loadSpec } from '../../load/load-spec.js';
import type { IPPoolDoc } from '../../spec/schema.js';
import { poolUse, renderPoolUseText } from '../../status/pool-status.js';
import type { DriftRecord } from '../../drift/drift-report.js';
import { driftStatus, renderDriftStatusText } from '../../drift/drift-status.js';
import { DEFAULT_GIT_KEY_SECRET, readSiteRevision } from '../site-options.js';
import type { Register } from '../main.js';
import { openExistingStore } from '../live-options.js';
import { addStateOption, type StateOptions } from '../state-options.js';

interface StatusOptions extends StateOptions {
  output: 'text' | 'json';
  plan?: string;
  site?: string;
  repo?: string;
}

/** The site's pools from the repository `--repo` names (for free and held addresses); undefined without it. */
async function poolsOf(options: StatusOptions, io: CliIO): Promise<Record<string, IPPoolDoc['spec']> | undefined> {
  if (options.repo === undefined) return undefined;
  const loaded = loadSpec(await readSiteRevision({ repo: options.repo, gitKeySecret: DEFAULT_GIT_KEY_SECRET, ...(options.stateDir ? { stateDir: options.stateDir } : {}) }, io));
  if (!loaded.spec) throw new UsageError(`the repository ${options.repo} does not load: run underlay validate there`);
  return Object.fromEntries(Object.entries(loaded.spec.pools).map(([name, p]) => [name, p.doc.spec]));
}

export const registerStatus: Register = (program, io, setExit) => {
  addStateOption(program.command('status'))
    .description('Show conditions per cluster and node (Ready, Failed, RolloutHalted, Interrupted, Pending) from the last runs, and who holds the site lock and the node leases.')
    .addOption(new Option('--output <format>', 'how to print').choices(['text', 'json']).default('text'))
    .option('--plan <file>', 'the latest saved plan: its changes show as Pending and its clusters are listed')
    .option('--site <id>', 'the site to show (its Site document\'s name; default: the only site in the state directory)')
    .option('--repo <path|url>', "the site repository: with its IPPools, each pool's free and grace-held addresses are shown too")
    .addHelpText('after', '\nReads the state directory and changes nothing in it. Exit codes: 0 every node Ready, 1 otherwise, on error, or when there is no state (nothing applied with this state directory).')
    .action(async (options: StatusOptions) => {
      const plan = options.plan ? (JSON.parse(await readFile(path.resolve(io.cwd, options.plan), 'utf8')) as Plan) : undefined;
      const problem = plan === undefined ? null : planFormatProblem(plan);
      if (problem !== null) throw new UsageError(`${options.plan} ${problem}`);
      const store = openExistingStore(options, io, options.site);
      try {
        // Runs whose process died show as interrupted, not running (read-only: the next apply records it).
        await store.recoverInterruptedRuns();
        const status = await readSiteStatus(store, plan ? { plan } : {});
        const locks = await readLocksStatus(store, currentProcess(), isProcessAlive);
        const ledger = store.ledger();
        const pools = poolUse({ allocations: await ledger.poolAllocations(), released: await ledger.releasedAllocations(), now: new Date().toISOString(), ...(await poolsOf(options, io).then((p) => (p ? { pools: p } : {}))) });
        const drift = driftStatus(await store.driftLedger<DriftRecord>().open(), new Date());
        const driftJson = drift.drifted.length > 0 ? { drift } : {};
        io.stdout(options.output === 'json' ? canonicalJson({ ...status, locks, pools, ...driftJson }, 2) + '\n' : renderSiteStatusText(status) + renderDriftStatusText(drift) + renderPoolUseText(pools) + renderLocksText(locks));
        const allReady = status.nodes.every((n) => n.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
        setExit(allReady ? ExitCode.Ok : ExitCode.Error);
      } finally {
        await store.close();
      }
    });
};
