/**
 * An address resource's identity: `<interface>/<address>/<prefix length>`, as `ip addr add ADDRESS/PREFIX dev
 * INTERFACE` names it. Interface names hold no '/', so the first and the last '/' split it apart.
 */
export const ADDRESS_KIND = 'address';

export interface AddressIdentity {
  interface: string;
  address: string;
  prefixLength: number;
}

export const addressIdentity = (a: AddressIdentity): string => `${a.interface}/${a.address}/${a.prefixLength}`;

export function parseAddressIdentity(identity: string): AddressIdentity | null {
  const first = identity.indexOf('/');
  const last = identity.lastIndexOf('/');
  if (first <= 0 || last === first) return null;
  const prefix = identity.slice(last + 1);
  if (!/^\d{1,3}$/.test(prefix)) return null;
  return { interface: identity.slice(0, first), address: identity.slice(first + 1, last), prefixLength: Number(prefix) };
}
