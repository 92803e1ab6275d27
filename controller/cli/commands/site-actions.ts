/**
 * What an operator tells a running controller about a site, through its API: `approve` a plan by its hash
 * (refused when it is not the site's current plan), `reconcile` now, `suspend`, `resume`.
 */
import type { Command } from 'commander';
import { addApiClientOptions, callControllerApi, type ApiClientOptions } from '../controller-api-client.js';
import { ExitCode, type CliIO } from '../io.js';
import type { Register } from '../main.js';

interface SiteActionOptions extends ApiClientOptions {
  site: string;
  planHash?: string;
}

const ACTIONS: Record<string, { description: string; body?: (o: SiteActionOptions) => unknown; setup?: (c: Command) => Command }> = {
  approve: {
    description: 'Approve the plan a site under the approve policy would apply, by its hash; a stale hash is refused.',
    setup: (c) => c.requiredOption('--plan-hash <hash>', 'the hash of the plan to approve (GET /api/v1/sites/SITE/plan, or the site status)'),
    body: (o) => ({ planHash: o.planHash }),
  },
  reconcile: { description: 'Reconcile a site now (a reconcile already running is followed by one more, never more than one).' },
  suspend: { description: 'Suspend a site: no reconcile starts until it is resumed.' },
  resume: { description: 'Resume a suspended site, and reconcile it.' },
};

async function act(action: string, options: SiteActionOptions, io: CliIO): Promise<number> {
  const body = ACTIONS[action]?.body?.(options);
  const answer = await callControllerApi(options, io, `/api/v1/sites/${encodeURIComponent(options.site)}/${action}`, body);
  if (answer.status >= 200 && answer.status < 300) {
    io.stdout(`${action}: ${JSON.stringify(answer.body)}\n`);
    return ExitCode.Ok;
  }
  io.stderr(`error: ${action} refused (HTTP ${answer.status}): ${String(answer.body.error ?? JSON.stringify(answer.body))}\n`);
  return ExitCode.Error;
}

export const registerSiteActions: Register = (program, io, setExit) => {
  for (const [name, action] of Object.entries(ACTIONS)) {
    const command = addApiClientOptions(program.command(name).description(action.description).requiredOption('--site <id>', 'the site, as the controller configures it'));
    (action.setup?.(command) ?? command).action(async (options: SiteActionOptions) => setExit(await act(name, options, io)));
  }
};
