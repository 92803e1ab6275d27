/**
 * Plans of the site against what is really on the nodes, through the real CLI: `underlay plan` observing
 * live, and `underlay inventory` saved to a file then `underlay plan --inventory` on it — the path a pull
 * request's CI job takes with a snapshot.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type CliResult, type E2ESite } from './e2e-site.js';

export function planLive(site: E2ESite, extra: string[] = []): Promise<CliResult> {
  return site.underlay(['plan', '--no-color', ...extra]);
}

export async function planFromInventory(site: E2ESite, extra: string[] = []): Promise<CliResult & { inventory: CliResult }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-inv-'));
  try {
    const file = path.join(dir, 'inventory.json');
    const inventory = await site.underlay(['inventory', '--out', file]);
    if (inventory.code !== 0) return { ...inventory, inventory };
    const plan = await runCli(['plan', '--repo', site.repoDir, '--inventory', file, '--no-color', ...extra]);
    return { ...plan, inventory };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The change lines of a text plan (`  + create file:/x [cluster/step]`) per node, as 'node action key'. */
export function planChanges(text: string): string[] {
  const changes: string[] = [];
  let node = '';
  for (const line of text.split('\n')) {
    const header = /^(\S+)$/.exec(line);
    if (header && !line.startsWith('Revision')) node = header[1]!;
    const change = /^ {2}\S (\w+) (\S+)(?: \[.*)?$/.exec(line);
    if (change) changes.push(`${node} ${change[1]} ${change[2]}`);
  }
  return changes.sort();
}

/** The `Plan hash ...` of a text plan (absent for an empty plan). */
export function planHash(text: string): string | undefined {
  return /^Plan hash (\w+)$/m.exec(text)?.[1];
}
