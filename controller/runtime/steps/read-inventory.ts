/**
 * Instead of observe, for a plan made without access to the nodes: the inventory from a snapshot (or empty
 * nodes), as the driver reads it. One it cannot use stalls: the driver has said why.
 */
import type { Inventory } from '../../model/observed.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export function readInventory(read: () => Promise<Inventory | null>): RuntimeStep {
  return {
    name: 'read-inventory',
    async run(state) {
      const inventory = await read();
      if (!inventory) return { type: 'stall', code: 'InventoryUnusable', message: 'the inventory snapshot cannot be used' };
      return proceed({ ...state, inventory });
    },
  };
}
