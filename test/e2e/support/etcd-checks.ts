/**
 * Checks of the example's TLS etcd on real test hosts, shared by its e2e tests and the rolling-change
 * benchmark: a command in a node's namespace, cluster health through etcd.<zone>, and the site's heartbeat
 * parameter (the change those rollouts roll).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { poll } from '../../hosts/exec.js';
import type { TestHostCluster } from '../../hosts/harness.js';
import { ETCDCTL } from './etcd-writer.js';

/** `script` in the node's namespace; a non-zero exit is an error carrying its output. */
export async function onNode(hosts: TestHostCluster, name: string, script: string): Promise<string> {
  const r = await hosts.run(name, script);
  if (r.code !== 0) throw new Error(`${name}: ${script}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Until every one of `members` endpoints answers healthy (`endpoint health --cluster`, asked from node2). */
export function etcdHealthy(hosts: TestHostCluster, members: number, timeoutMs = 60_000): Promise<string> {
  return poll(`etcd healthy on all ${members} members`, timeoutMs, async () => {
    const r = await hosts.run('node2', `${ETCDCTL} --command-timeout=3s endpoint health --cluster 2>&1`);
    return r.code === 0 && r.stdout.split('\n').filter((l) => /is healthy/.test(l)).length === members && !/unhealthy/.test(r.stdout) ? r.stdout : undefined;
  }, 500);
}

/** Edits one YAML document of the site in place, keeping its comments and layout. */
export async function editYaml(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'));
  edit(doc);
  await writeFile(file, doc.toString());
}

/** The example's `etcdHeartbeatInterval` (site.yaml): a restarting change of every member. */
export function setHeartbeat(dir: string, ms: number): Promise<void> {
  return editYaml(path.join(dir, 'site.yaml'), (doc) => doc.setIn(['spec', 'params', 'etcdHeartbeatInterval'], ms));
}
