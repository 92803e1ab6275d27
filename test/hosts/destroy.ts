import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { poll } from './exec.js';
import { deleteBridge, deleteNodeNetwork, netnsPids } from './network.js';
import { killNode, removeCgroup, stopServices } from './node-process.js';
import { isAlive, killRef, pidRef, type PidRef } from './proc.js';
import { releaseSlot, slotNames } from './slots.js';
import type { ClusterState } from './state.js';

/** Destroys everything recorded in a state; used by teardown, the CLI 'down' and the stale cleanup. */
export async function destroyCluster(s: ClusterState, opts: { graceful: boolean }): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all(
    s.nodes.map(async (n) => {
      try {
        if (opts.graceful) await stopServices(n);
        await killNode(n);
        await deleteNodeNetwork(n.netns, n.veth);
      } catch (e) {
        errors.push(e);
      }
    }),
  );
  // Whatever the state did not record (a crash between spawning and saving) is found by name.
  try {
    await sweepSlot(s.slot);
  } catch (e) {
    errors.push(e);
  }
  if (s.ownsStateDir) rmSync(s.stateDir, { recursive: true, force: true });
  else {
    for (const f of ['nodes', 'state.json', 'sshd_config', 'runit-init.sh', 'systemd-outer.sh', 'systemd-inner.sh', 'id_ed25519', 'id_ed25519.pub']) rmSync(join(s.stateDir, f), { recursive: true, force: true });
  }
  releaseSlot(s.slot, s.owner);
  if (s.detached) killRef(s.owner, 'SIGTERM'); // the keeper of a CLI 'up'
  if (errors.length > 0) throw new AggregateError(errors, `teardown of test hosts in ${s.stateDir} was incomplete: ${errors.map(String).join('; ')}`);
}

/** Removes every kernel object named after a slot: processes in its namespaces, veths, namespaces, bridge, cgroups. */
export async function sweepSlot(slot: number): Promise<void> {
  const n = slotNames(slot);
  const ours = (name: string, prefix: string) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
  let netnses: string[] = [];
  try {
    netnses = readdirSync('/run/netns').filter((x) => ours(x, n.netnsPrefix));
  } catch {
    // no namespaces at all
  }
  const victims: PidRef[] = [];
  for (const ns of netnses) {
    for (const pid of await netnsPids(ns)) {
      try {
        victims.push(pidRef(pid));
      } catch {
        // already gone
      }
    }
  }
  for (const v of victims) killRef(v, 'SIGKILL');
  if (victims.length > 0) await poll(`slot ${slot}: processes gone`, 10_000, () => (victims.every((v) => !isAlive(v)) ? true : undefined));
  const links = readdirSync('/sys/class/net').filter((x) => ours(x, n.vethPrefix));
  for (const l of links) await deleteNodeNetwork('', l);
  for (const ns of netnses) await deleteNodeNetwork(ns, '');
  await deleteBridge(n.bridge);
  for (const ns of netnses) {
    await removeCgroup(`underlay-test/${ns}`);
    for (const d of ['propagate', 'unix-export', 'incoming']) rmSync(join('/run/systemd/nspawn', d, ns), { recursive: true, force: true });
  }
}
