import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { poll, run, runOk, sshBannerSeen } from './exec.js';
import { isAlive, pidRef, type PidRef } from './proc.js';
import { createBridge, createNodeNetwork, deleteNodeNetwork } from './network.js';
import { destroyCluster } from './destroy.js';
import { killNode, launchNode, readHostKey, resetLayers, stopServices, upperDirOf } from './node-process.js';
import { claimSlot, slotNames, updateClaim, type SlotClaim } from './slots.js';
import { readState, writeState, type ClusterState, type NodeKind, type NodeState } from './state.js';
import { cleanupStaleTestHosts } from './stale-cleanup.js';

export { cleanupStaleTestHosts };

export interface TestHost {
  name: string;
  kind: NodeKind;
  /** IPv4 on the bridge, reachable from the host on port 22. */
  address: string;
  port: number;
  user: string;
  /** The node's own OpenSSH public host key line 'ssh-ed25519 AAAA...'. */
  hostKey: string;
  /** The overlay upper dir on the host: files the node wrote appear here. */
  upperDir: string;
}

export interface TestHostCluster {
  hosts: TestHost[];
  /** Private key (0600, ed25519, OpenSSH format) authorized as root on every node. */
  clientKeyPath: string;
  stateDir: string;
  /** Runs a shell command inside the node via nsenter (for assertions, not the product's path). */
  run(name: string, script: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Node down (sshd gone, address unreachable), files kept. */
  stopHost(name: string): Promise<void>;
  /** Back up with the same files and host key. */
  startHost(name: string): Promise<void>;
  /** Fresh overlay (empty upper), new host key; returns the updated host. */
  wipeHost(name: string): Promise<TestHost>;
  /** Idempotent; removes everything the cluster made. */
  teardown(): Promise<void>;
}

const SSH_READY_MS = 60_000;
const NODE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', TERM: 'dumb' };

function toHost(n: NodeState): TestHost {
  return { name: n.name, kind: n.kind, address: n.address, port: 22, user: 'root', hostKey: n.hostKey, upperDir: upperDirOf(n) };
}

async function waitForSsh(n: NodeState): Promise<void> {
  const init = n.init;
  await poll(`${n.name} (${n.address}): sshd banner`, SSH_READY_MS, async () => {
    if (!isAlive(init)) throw new Error(`${n.name}: init exited during boot (see ${join(n.nodeDir, 'console.log')})`);
    return (await sshBannerSeen(n.address, 22, 1000)) ? true : undefined;
  });
}

async function bootNode(s: ClusterState, n: NodeState): Promise<void> {
  await createNodeNetwork({ bridge: s.bridge, netns: n.netns, veth: n.veth, address: n.address, gateway: s.gateway });
  await launchNode(s, n);
  writeState(s); // record pids before waiting, so a crash mid-boot is still cleanable
  n.hostKey = await poll(`${n.name}: host key`, 30_000, () => {
    try {
      return readHostKey(n);
    } catch {
      return undefined;
    }
  });
  await waitForSsh(n);
  writeState(s);
}

async function haltNode(s: ClusterState, n: NodeState): Promise<void> {
  await stopServices(n);
  await killNode(n);
  await deleteNodeNetwork(n.netns, n.veth);
  writeState(s);
}

// Clusters of this process, for the exit hooks.
const live = new Map<string, ClusterState>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  // 'exit' handlers must be synchronous: hand the async teardown to a child process and wait for it.
  process.on('exit', () => {
    for (const s of live.values()) {
      if (s.detached) continue;
      spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), cli, 'down', '--state', s.stateDir], { stdio: 'inherit', timeout: 90_000 });
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      const all = [...live.values()].filter((s) => !s.detached);
      void Promise.allSettled(all.map((s) => destroyCluster(s, { graceful: false }).then(() => live.delete(s.stateDir)))).finally(() =>
        process.exit(sig === 'SIGINT' ? 130 : 143),
      );
    });
  }
}

function clusterApi(s: ClusterState): TestHostCluster {
  let tornDown = false;
  const node = (name: string): NodeState => {
    const n = s.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no test host named ${name} (have ${s.nodes.map((x) => x.name).join(', ')})`);
    return n;
  };
  const api: TestHostCluster = {
    hosts: s.nodes.map(toHost),
    clientKeyPath: s.clientKeyPath,
    stateDir: s.stateDir,
    async run(name, script) {
      const n = node(name);
      if (!n.running || !n.init || !isAlive(n.init)) throw new Error(`test host ${name} is not running`);
      return run(['nsenter', '-t', String(n.init.pid), '-a', '-r', '-w', '/bin/sh', '-c', script], { timeoutMs: 120_000, env: NODE_ENV });
    },
    async stopHost(name) {
      await haltNode(s, node(name));
    },
    async startHost(name) {
      const n = node(name);
      if (n.running) return;
      await bootNode(s, n);
      api.hosts = s.nodes.map(toHost);
    },
    async wipeHost(name) {
      const n = node(name);
      if (n.running) await haltNode(s, n);
      resetLayers(n);
      n.hostKey = '';
      await bootNode(s, n);
      api.hosts = s.nodes.map(toHost);
      return toHost(n);
    },
    async teardown() {
      if (tornDown) return;
      tornDown = true;
      try {
        await destroyCluster(s, { graceful: true });
      } finally {
        live.delete(s.stateDir);
      }
    },
  };
  return api;
}

export interface CreateTestHostsOptions {
  count: number;
  kind?: NodeKind;
  /** Node names are `${namePrefix}${i}` starting at 1; default 'node'. */
  namePrefix?: string;
  /** Where state.json, the client key and the nodes' layers live; default a fresh dir under the tmpdir. */
  stateDir?: string;
  /** Keep the nodes running after this process exits (the CLI 'up'); teardown is then explicit. */
  detached?: boolean;
}

export async function createTestHosts(opts: CreateTestHostsOptions): Promise<TestHostCluster> {
  if (process.getuid?.() !== 0) throw new Error('test hosts need root (network, mount and pid namespaces)');
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 200) throw new Error(`count must be 1..200, got ${opts.count}`);
  const kind = opts.kind ?? 'runit';
  const prefix = opts.namePrefix ?? 'node';
  await cleanupStaleTestHosts();
  installExitHooks();

  let ownsStateDir = false;
  let stateDir: string;
  if (opts.stateDir) {
    stateDir = resolve(opts.stateDir);
    if (existsSync(join(stateDir, 'state.json'))) throw new Error(`${stateDir} already holds test hosts; run 'down' first`);
    ownsStateDir = !existsSync(stateDir);
    mkdirSync(stateDir, { recursive: true });
  } else {
    stateDir = mkdtempSync(join(tmpdir(), 'underlay-test-hosts-'));
    ownsStateDir = true;
  }
  const owner = pidRef(process.pid);
  const claim: SlotClaim = claimSlot(owner, () => stateDir, (slot) => !existsSync(`/sys/class/net/${slotNames(slot).bridge}`));
  const names = slotNames(claim.slot);
  const s: ClusterState = {
    version: 1,
    slot: claim.slot,
    bridge: names.bridge,
    gateway: names.gateway,
    prefixLen: 24,
    stateDir,
    ownsStateDir,
    clientKeyPath: join(stateDir, 'id_ed25519'),
    owner,
    detached: false,
    nodes: Array.from({ length: opts.count }, (_, i) => ({
      name: `${prefix}${i + 1}`,
      kind,
      index: i + 1,
      address: `${names.net}.${10 + i + 1}`,
      netns: `${names.netnsPrefix}${i + 1}`,
      veth: `${names.vethPrefix}${i + 1}`,
      nodeDir: join(stateDir, 'nodes', `${prefix}${i + 1}`),
      hostKey: '',
      running: false,
    })),
  };
  live.set(stateDir, s);
  writeState(s);
  try {
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `underlay-test-client@${names.bridge}`, '-f', s.clientKeyPath]);
    await createBridge(s.bridge, s.gateway);
    // Sequential boots would waste the 2-4 s each node spends waiting for sshd; systemd nodes share one rootfs build.
    await Promise.all(s.nodes.map((n) => bootNode(s, n)));
  } catch (e) {
    await destroyCluster(s, { graceful: false }).catch(() => undefined);
    live.delete(stateDir);
    throw e;
  }
  if (opts.detached) await detach(s, claim);
  return clusterApi(s);
}

/** Hands ownership to a keeper process so stale cleanup leaves the cluster alone after we exit. */
async function detach(s: ClusterState, claim: SlotClaim): Promise<void> {
  const keeper = spawn('sleep', ['infinity'], { detached: true, stdio: 'ignore' });
  if (keeper.pid === undefined) throw new Error('cannot start the keeper process for a detached cluster');
  keeper.unref();
  const ref: PidRef = await poll('keeper process', 5000, () => {
    try {
      return pidRef(keeper.pid!);
    } catch {
      return undefined;
    }
  });
  s.owner = ref;
  s.detached = true;
  updateClaim({ ...claim, owner: ref });
  writeState(s);
}

export async function attachTestHosts(stateDir: string): Promise<TestHostCluster> {
  const s = readState(resolve(stateDir));
  return clusterApi(s);
}


