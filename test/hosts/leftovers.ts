import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isAlive } from './proc.js';
import type { ClusterState } from './state.js';

type NodeState = ClusterState['nodes'][number];

/** Everything of a cluster that is still present on the host; empty after a clean teardown. */
export function leftoversOf(s: ClusterState): string[] {
  const found: string[] = [];
  if (existsSync(`/sys/class/net/${s.bridge}`)) found.push(`bridge ${s.bridge}`);
  for (const n of s.nodes) found.push(...nodeLeftovers(n));
  found.push(...mountLeftovers(s), ...namespaceMounts(s.stateDir), ...stateLeftovers(s));
  return found;
}

function nodeLeftovers(n: NodeState): string[] {
  const found: string[] = [];
  if (existsSync(`/run/netns/${n.netns}`)) found.push(`netns ${n.netns}`);
  if (existsSync(`/sys/class/net/${n.veth}`)) found.push(`veth ${n.veth}`);
  if (isAlive(n.init)) found.push(`process ${n.init?.pid} (init of ${n.name})`);
  if (isAlive(n.launcher)) found.push(`process ${n.launcher?.pid} (launcher of ${n.name})`);
  if (n.cgroup && existsSync(`/sys/fs/cgroup/systemd/${n.cgroup}`)) found.push(`cgroup ${n.cgroup}`);
  return found;
}

/** Mounts in our own namespace: of the state directory, and the nodes' network namespaces. */
function mountLeftovers(s: ClusterState): string[] {
  const found: string[] = [];
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    if (line.includes(s.stateDir) || line.includes(`/run/netns/${s.bridge}`)) found.push(`mount ${line}`);
    for (const n of s.nodes) if (line.split(' ')[1] === `/run/netns/${n.netns}`) found.push(`mount ${line}`);
  }
  return found;
}

/** The nodes' overlays live in private mount namespaces: look into every namespace, not just ours. */
function namespaceMounts(stateDir: string): string[] {
  const found: string[] = [];
  const seenNs = new Set<string>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/mnt`);
      if (seenNs.has(ns)) continue;
      seenNs.add(ns);
      if (readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(stateDir)) found.push(`mount of ${stateDir} held by pid ${pid}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** The state file and directory, and this cluster's claim on its slot. */
function stateLeftovers(s: ClusterState): string[] {
  const found: string[] = [];
  if (existsSync(`${s.stateDir}/state.json`)) found.push(`state file in ${s.stateDir}`);
  if (s.ownsStateDir && existsSync(s.stateDir)) found.push(`state dir ${s.stateDir}`);
  if (existsSync(`/run/underlay-test-hosts/slot-${s.slot}.json`)) {
    const c = readFileSync(`/run/underlay-test-hosts/slot-${s.slot}.json`, 'utf8');
    if (c.includes(`"stateDir":${JSON.stringify(s.stateDir)}`)) found.push(`slot claim ${s.slot}`);
  }
  return found;
}
