/**
 * An address on a node's network interface (a per-node address or a VIP from an IPPool, or one a module
 * declares): its entry in a module, its desired spec, and what the probe observes.
 */
import { z } from 'zod';
import { InterfaceName } from '../../controller/spec/primitives.js';

export const AddressResource = z.strictObject({
  interface: InterfaceName,
  /** `address/prefix length`, as `ip addr add` takes it: `198.18.0.10/24`, `2001:db8::10/64`. */
  address: z.string().min(1),
});
export type AddressDoc = z.infer<typeof AddressResource>;

export interface DesiredAddress {
  kind: 'address';
  interface: string;
  /** Canonical text (model/ip.ts), as `ip -o addr` prints it. */
  address: string;
  prefixLength: number;
  /**
   * `<pool>/<name>` of the allocation it holds, when resolve placed it: part of the hash the managed record
   * keeps, which is how re-adoption tells a node's addresses from one pool apart (controller/resolve/ip-allocation.ts).
   */
  allocation?: string;
}

/** `present`: the interface carries the address (with that prefix length); `interfaceMissing`: no such interface. */
export const ObservedAddress = z.strictObject({
  kind: z.literal('address'),
  interface: z.string(),
  address: z.string(),
  prefixLength: z.number().int(),
  present: z.boolean(),
  interfaceMissing: z.boolean().optional(),
});
export type ObservedAddress = z.infer<typeof ObservedAddress>;
