import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PidRef } from './proc.js';

export type NodeKind = 'runit' | 'systemd';

/** Everything needed to find, operate and destroy a node from any process. */
export interface NodeState {
  name: string;
  kind: NodeKind;
  index: number;
  address: string;
  netns: string;
  veth: string;
  nodeDir: string; // holds upper/, work/, root/
  hostKey: string;
  /** The process we spawned (unshare or systemd-nspawn); its exit means the node is down. */
  launcher?: PidRef;
  /** The node's PID 1 as seen from the host: the target for nsenter. */
  init?: PidRef;
  cgroup?: string; // systemd nodes: relative cgroup path we created for nspawn
  running: boolean;
}

export interface ClusterState {
  version: 1;
  slot: number;
  bridge: string;
  gateway: string;
  prefixLen: 24;
  stateDir: string;
  /** True when we created stateDir and may delete it whole on teardown. */
  ownsStateDir: boolean;
  clientKeyPath: string;
  owner: PidRef;
  /** Set by the CLI 'up': the cluster outlives the process that made it. */
  detached: boolean;
  nodes: NodeState[];
}

export const stateFile = (stateDir: string) => join(stateDir, 'state.json');

export function readState(stateDir: string): ClusterState {
  const s = JSON.parse(readFileSync(stateFile(stateDir), 'utf8')) as ClusterState;
  if (s.version !== 1) throw new Error(`unsupported test-host state version in ${stateDir}`);
  return s;
}

/** Atomic so a concurrent attachTestHosts never reads a half-written file. */
export function writeState(s: ClusterState): void {
  const f = stateFile(s.stateDir);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
  renameSync(tmp, f);
}
