import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, type PidRef } from './proc.js';

/** Claim files live here; /run is cleared on reboot, exactly when every claim becomes void. */
export const RUN_DIR = '/run/underlay-test-hosts';
// 198.18.0.0/15 holds 512 /24s: one per harness instance.
export const MAX_SLOTS = 512;

export interface SlotClaim {
  slot: number;
  owner: PidRef;
  stateDir: string;
}

export interface SlotNames {
  bridge: string;
  /** First three octets, e.g. '198.18.7'. */
  net: string;
  gateway: string;
  netnsPrefix: string;
  vethPrefix: string;
}

export function slotNames(slot: number): SlotNames {
  const net = `198.${18 + (slot >> 8)}.${slot & 255}`;
  // Interface names are limited to 15 characters: 'ul511v99' fits.
  return { bridge: `ulbr${slot}`, net, gateway: `${net}.1`, netnsPrefix: `ul${slot}n`, vethPrefix: `ul${slot}v` };
}

export const claimPath = (slot: number) => join(RUN_DIR, `slot-${slot}.json`);

export function readClaim(slot: number): SlotClaim | undefined {
  try {
    return JSON.parse(readFileSync(claimPath(slot), 'utf8')) as SlotClaim;
  } catch {
    return undefined;
  }
}

/**
 * A claim is stale when its owner is dead. A claim file that cannot be parsed yet is only
 * stale after a grace period: it may be in the middle of being written by its creator.
 */
export function claimIsStale(slot: number): boolean {
  const c = readClaim(slot);
  if (c) return !isAlive(c.owner);
  try {
    return Date.now() - statSync(claimPath(slot)).mtimeMs > 10_000;
  } catch {
    return false; // gone: nothing to reclaim
  }
}

export function listClaimedSlots(): number[] {
  try {
    return readdirSync(RUN_DIR)
      .map((f) => /^slot-(\d+)\.json$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** Takes the first free slot; O_EXCL creation makes the choice race-free across processes. */
export function claimSlot(owner: PidRef, stateDirFor: (slot: number) => string, isUsable: (slot: number) => boolean): SlotClaim {
  mkdirSync(RUN_DIR, { recursive: true });
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    if (!isUsable(slot)) continue;
    let fd: number;
    try {
      fd = openSync(claimPath(slot), 'wx', 0o644);
    } catch {
      continue;
    }
    const claim: SlotClaim = { slot, owner, stateDir: stateDirFor(slot) };
    writeSync(fd, JSON.stringify(claim) + '\n');
    closeSync(fd);
    return claim;
  }
  throw new Error(`no free test-host slot under ${RUN_DIR} (all ${MAX_SLOTS} taken)`);
}

export function updateClaim(claim: SlotClaim): void {
  const tmp = `${claimPath(claim.slot)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(claim) + '\n');
  renameSync(tmp, claimPath(claim.slot));
}

/**
 * Moves a stale claim aside so exactly one process cleans it up: rename succeeds for only one
 * of several racing reclaimers. Returns the claim it took over, or undefined if it lost the race.
 */
export function seizeStaleClaim(slot: number): { claim: SlotClaim | undefined; release: () => void } | undefined {
  const aside = join(RUN_DIR, `slot-${slot}.reclaim-${process.pid}`);
  try {
    renameSync(claimPath(slot), aside);
  } catch {
    return undefined;
  }
  let claim: SlotClaim | undefined;
  try {
    claim = JSON.parse(readFileSync(aside, 'utf8')) as SlotClaim;
  } catch {
    claim = undefined;
  }
  return {
    claim,
    release: () => {
      try {
        unlinkSync(aside);
      } catch {
        // already gone
      }
    },
  };
}

export function releaseSlot(slot: number, owner: PidRef): void {
  const c = readClaim(slot);
  // Only drop the claim if it is still ours: a reclaimer may have taken the slot over already.
  if (c && (c.owner.pid !== owner.pid || c.owner.startTime !== owner.startTime)) return;
  try {
    unlinkSync(claimPath(slot));
  } catch {
    // already gone
  }
}
