import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { destroyCluster, sweepSlot } from './destroy.js';
import { isAlive, processStartTime } from './proc.js';
import { claimIsStale, listClaimedSlots, readClaim, RUN_DIR, seizeStaleClaim } from './slots.js';
import { readState, stateFile } from './state.js';

/**
 * Removes leftovers of crashed runs: clusters whose owner process is dead, and kernel objects
 * with our names (ulbr<k>, ul<k>n<i>, ul<k>v<i>) whose slot nobody claims.
 */
export async function cleanupStaleTestHosts(): Promise<void> {
  for (const slot of listClaimedSlots()) if (claimIsStale(slot)) await reclaimStaleSlot(slot);
  // Objects left without any claim (a crash between claiming and recording, or a claim deleted by hand).
  for (const slot of slotsOfOurKernelObjects()) {
    // A slot being reclaimed right now has an aside file instead of a claim: leave it to that process.
    if (readClaim(slot) || existsSync(join(RUN_DIR, `slot-${slot}.json`)) || reclaimInProgress(slot)) continue;
    await sweepSlot(slot);
  }
}

/** Destroys the cluster of a slot whose owner died, then sweeps the slot; unless another process is already at it. */
async function reclaimStaleSlot(slot: number): Promise<void> {
  const seized = seizeStaleClaim(slot);
  if (!seized) return; // another process is cleaning it
  try {
    const dir = seized.claim?.stateDir;
    if (dir && existsSync(stateFile(dir))) {
      const s = readState(dir);
      // A stale owner must not be recognised as alive by pid reuse; destroy only checks recorded refs.
      if (s.slot === slot && !isAlive(s.owner)) await destroyCluster(s, { graceful: false });
    }
    await sweepSlot(slot);
  } finally {
    seized.release();
  }
}

/** The slots named by kernel objects of ours: bridges and veths (ulbr<k>, ul<k>v<i>), network namespaces (ul<k>n<i>). */
function slotsOfOurKernelObjects(): Set<number> {
  const slots = new Set<number>();
  for (const name of readdirSync('/sys/class/net')) {
    const m = /^ulbr(\d+)$/.exec(name) ?? /^ul(\d+)v\d+$/.exec(name);
    if (m?.[1]) slots.add(Number(m[1]));
  }
  try {
    for (const name of readdirSync('/run/netns')) {
      const m = /^ul(\d+)n\d+$/.exec(name);
      if (m?.[1]) slots.add(Number(m[1]));
    }
  } catch {
    // no namespaces at all
  }
  return slots;
}

function reclaimInProgress(slot: number): boolean {
  let busy = false;
  try {
    for (const f of readdirSync(RUN_DIR)) {
      const m = new RegExp(`^slot-${slot}\\.reclaim-(\\d+)$`).exec(f);
      if (!m?.[1]) continue;
      if (processStartTime(Number(m[1])) !== undefined) busy = true;
      else unlinkSync(join(RUN_DIR, f)); // its reclaimer died: the aside file means nothing now
    }
  } catch {
    // no run dir
  }
  return busy;
}
