import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { poll, run, spawnDetached } from './exec.js';
import { childrenOf, isAlive, killRef, pidRef } from './proc.js';
import { RUNIT_INIT, SSHD_CONFIG, SYSTEMD_INNER, SYSTEMD_OUTER } from './node-boot-scripts.js';
import { ensureSystemdRootfs } from './rootfs-cache.js';
import type { ClusterState, NodeState } from './state.js';

export const upperDirOf = (n: NodeState) => join(n.nodeDir, 'upper');
const workDirOf = (n: NodeState) => join(n.nodeDir, 'work');
const rootDirOf = (n: NodeState) => join(n.nodeDir, 'root');
const CGROUP_ROOTS = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup'];

/** The host pid of the first descendant of `pid` that is PID 1 of a pid namespace. */
function findNamespaceInit(pid: number): number | undefined {
  const queue = [pid];
  for (let seen = 0; queue.length > 0 && seen < 200; seen++) {
    const p = queue.shift()!;
    try {
      const nspid = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]?.trim().split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return p;
    } catch {
      continue;
    }
    queue.push(...childrenOf(p));
  }
  return undefined;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-3000);
  } catch {
    return '';
  }
}

/** Starts the node's init in its namespaces and returns once that init is running (not yet sshd). */
export async function launchNode(cluster: ClusterState, node: NodeState): Promise<void> {
  for (const d of [upperDirOf(node), workDirOf(node), rootDirOf(node)]) mkdirSync(d, { recursive: true });
  const sshdConf = join(cluster.stateDir, 'sshd_config');
  if (!existsSync(sshdConf)) writeFileSync(sshdConf, SSHD_CONFIG);
  // Scripts go to files rather than into argv so `ps` on the host stays readable.
  const script = (name: string, text: string) => {
    const p = join(cluster.stateDir, name);
    if (!existsSync(p)) writeFileSync(p, text);
    return p;
  };
  const authKeys = `${cluster.clientKeyPath}.pub`;
  const machineId = randomBytes(16).toString('hex');
  const logPath = join(node.nodeDir, 'console.log');
  const logFd = openSync(logPath, 'a');
  let launcher: number;
  let wantComm: string;
  try {
    if (node.kind === 'runit') {
      launcher = spawnDetached(
        [
          'ip', 'netns', 'exec', node.netns,
          'unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--uts', '--ipc', '--',
          'sh', script('runit-init.sh', RUNIT_INIT),
          rootDirOf(node), upperDirOf(node), workDirOf(node), node.name, authKeys, sshdConf, machineId,
        ],
        logFd,
      );
      wantComm = 'runsvdir';
    } else {
      const lower = await ensureSystemdRootfs();
      node.cgroup = `underlay-test/${node.netns}`;
      launcher = spawnDetached(
        [
          'sh', script('systemd-outer.sh', SYSTEMD_OUTER), node.cgroup,
          'sh', script('systemd-inner.sh', SYSTEMD_INNER),
          lower, upperDirOf(node), workDirOf(node), rootDirOf(node), node.name, authKeys, sshdConf, machineId, node.netns, node.netns,
        ],
        logFd,
      );
      wantComm = 'systemd';
    }
  } finally {
    closeSync(logFd);
  }
  node.launcher = pidRef(launcher);
  const launcherRef = node.launcher;
  const initPid = await poll(`${node.name}: init process`, 120_000, () => {
    if (!isAlive(launcherRef)) throw new Error(`node launcher exited:\n${logTail(logPath)}`);
    const p = findNamespaceInit(launcher);
    return p !== undefined && comm(p) === wantComm ? p : undefined;
  });
  node.init = pidRef(initPid);
  node.running = true;
}

/** Graceful part of stopping: let the node's services stop the way they would on a real machine. */
export async function stopServices(node: NodeState): Promise<void> {
  if (!node.init || !isAlive(node.init)) return;
  if (node.kind === 'runit') {
    await run(['nsenter', '-t', String(node.init.pid), '-a', '-r', '-w', 'sh', '-c', 'sv -w 7 force-stop /etc/service/* >/dev/null 2>&1 || true'], {
      timeoutMs: 12_000,
    });
    killRef(node.init, 'SIGHUP'); // runsvdir: TERM all runsv and exit, which ends the pid namespace
  } else {
    // nspawn turns SIGTERM into SIGRTMIN+3 for the container's systemd: an orderly poweroff.
    killRef(node.launcher, 'SIGTERM');
  }
  const init = node.init;
  const launcher = node.launcher;
  await poll(`${node.name}: shutdown`, node.kind === 'runit' ? 4000 : 15_000, () => (!isAlive(init) && !isAlive(launcher) ? true : undefined)).catch(
    () => undefined, // the hard kill below takes over
  );
}

/** Hard part of stopping: no process of the node survives, and what nspawn leaves on the host goes. */
export async function killNode(node: NodeState): Promise<void> {
  // Killing a pid namespace's init kills everything in that namespace.
  killRef(node.init, 'SIGKILL');
  killRef(node.launcher, 'SIGKILL');
  const init = node.init;
  const launcher = node.launcher;
  await poll(`${node.name}: processes gone`, 10_000, () => (!isAlive(init) && !isAlive(launcher) ? true : undefined));
  if (node.cgroup) await removeCgroup(node.cgroup);
  if (node.kind === 'systemd') {
    for (const d of ['propagate', 'unix-export', 'incoming']) rmSync(join('/run/systemd/nspawn', d, node.netns), { recursive: true, force: true });
  }
  node.running = false;
  delete node.init;
  delete node.launcher;
}

/** Deletes our cgroup subtree deepest first; a cgroup can only be removed once it has no processes. */
export async function removeCgroup(rel: string): Promise<void> {
  for (const root of CGROUP_ROOTS) {
    const dir = join(root, rel);
    if (!existsSync(dir)) continue;
    const r = await run(['find', dir, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { timeoutMs: 10_000 });
    if (existsSync(dir)) throw new Error(`cannot remove cgroup ${dir}: ${r.stderr.trim()}`);
  }
}

export function resetLayers(node: NodeState): void {
  // Both go: overlayfs requires the workdir to be empty-or-its-own when the upper is fresh.
  rmSync(upperDirOf(node), { recursive: true, force: true });
  rmSync(workDirOf(node), { recursive: true, force: true });
}

export function readHostKey(node: NodeState): string {
  const [type, key] = readFileSync(join(upperDirOf(node), 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
  return `${type} ${key}`;
}

