/**
 * How resources are named. A resource key is `kind:identity`, unique on its node or target
 * ('file:/etc/app.conf', 'service:etcd', 'ip:lb/main.vip'); an address is `node/key`, unique in a site, and
 * is what dependency edges and change ids are made of.
 */

export const resourceKey = (kind: string, identity: string): string => `${kind}:${identity}`;

/** The kind part of a key ('file:/etc/x' -> 'file'); '' for a string that is no key. */
export function keyKind(key: string): string {
  const colon = key.indexOf(':');
  return colon < 0 ? '' : key.slice(0, colon);
}

/** The identity part of a resource key: 'file:/etc/x' -> '/etc/x'. */
export function keyIdentity(key: string): string {
  const colon = key.indexOf(':');
  if (colon < 0) throw new TypeError(`not a resource key: ${key}`);
  return key.slice(colon + 1);
}

export const resourceAddress = (node: string, key: string): string => `${node}/${key}`;
