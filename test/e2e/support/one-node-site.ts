/**
 * The smallest site the node-durability tests need: the three-node-etcd example cut down to node1 and its
 * base step (a banner, a directory, an identity file, a one-time stamp), which applies in seconds; tests
 * add the resources they exercise to the base module. Also: `underlay apply` run as a child and SIGKILLed
 * at a moment the test chooses (a fault point reached, or something seen on the node), never after a delay.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createE2ESite, underlayBin, type E2ESite } from './e2e-site.js';

const BASE_ONLY_CLUSTER = `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: etcd
spec:
  nodes:
    roles: [etcd]
  steps:
    - name: base
      module: base
      with:
        motd: {param: motd}
`;

/** One node (node1), the base step only; `resources` (YAML list items, indented as in a module) join the base module. */
export function useOneNodeSite(resources: string[] = []): () => E2ESite {
  let site: E2ESite | undefined;
  test.before(async () => {
    site = await createE2ESite({ count: 1 });
    await site.commit('one node, the base step only', async (dir) => {
      await rm(path.join(dir, 'nodes/node2.yaml'));
      await rm(path.join(dir, 'nodes/node3.yaml'));
      await writeFile(path.join(dir, 'cluster.yaml'), BASE_ONLY_CLUSTER);
      if (resources.length > 0) await appendFile(path.join(dir, 'modules/base.yaml'), resources.join('\n') + '\n');
    });
  });
  test.after.always(async () => {
    await site?.teardown();
  });
  return () => {
    if (!site) throw new Error('the e2e site did not come up');
    return site;
  };
}

export interface KilledApply {
  /** What the apply printed before the kill. */
  output: string;
  /** The fault-point marker's content, when the kill was at a fault point. */
  reached?: string;
}

/**
 * Runs `underlay apply` and SIGKILLs it once `until` holds (checked every 100 ms, at most 2 minutes), or,
 * with `faultPoint`, once the process reports standing at that fault point (fault-injection.ts).
 */
export async function applyKilled(site: E2ESite, options: { faultPoint?: string; until?: () => boolean }): Promise<KilledApply> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'underlay-kill-'));
  const marker = path.join(scratch, 'reached');
  const fault = options.faultPoint === undefined ? {} : { UNDERLAY_FAULT_PAUSE: options.faultPoint, UNDERLAY_FAULT_MARKER: marker };
  const child = spawn(
    process.execPath,
    [underlayBin, 'apply', '--repo', site.repoDir, '--state-dir', site.stateDir, '--secrets-dir', site.secretsDir, '--no-color', '--concurrency', '1'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...fault } },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let ended = false;
  void exited.then(() => (ended = true));
  const reached = (): boolean => (options.faultPoint !== undefined && existsSync(marker)) || (options.until?.() ?? false);
  try {
    for (let i = 0; i < 1200 && !reached(); i++) {
      if (ended) throw new Error(`apply ended before the kill point:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!reached()) throw new Error(`apply did not reach the kill point in 120 s:\n${output}`);
    return { output, ...(options.faultPoint === undefined ? {} : { reached: readFileSync(marker, 'utf8').trim() }) };
  } finally {
    child.kill('SIGKILL');
    await exited;
    await rm(scratch, { recursive: true, force: true });
  }
}
