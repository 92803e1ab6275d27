/**
 * What observe and apply read of the secret store for one site: a secret's value, and the site's digest
 * key (keyed-digest.ts). Passed in like the transport, so tests use a fake and nothing else reads secrets.
 */
import type { SecretProbeKeys, SecretUse } from '../../reconcilers/kind.js';
import type { DirectorySecretStore } from './secret-store.js';
import { SecretError } from './secret-store.js';
import { deliveryKey, keyedDigest } from './keyed-digest.js';

export interface SecretSource {
  /** The site whose digest key this is: part of every derived key. */
  readonly site: string;
  /** The secret's bytes; SecretNotFound (or SecretTooOpen) otherwise. */
  read(name: string): Promise<Buffer>;
  /** The site's digest key, made on first use. */
  digestKey(): Promise<Buffer>;
}

export function siteSecrets(store: DirectorySecretStore, site: string): SecretSource {
  return { site, read: (name) => store.read(name), digestKey: () => store.digestKey(site) };
}

/**
 * The probe keys of one node's secret uses: each use's derived key, and the keyed digest of what the store
 * holds now. A secret the store lacks is compared with nothing (its plan says so; apply then fails on it).
 */
export async function secretProbeKeys(source: SecretSource, node: string, uses: readonly SecretUse[]): Promise<SecretProbeKeys> {
  if (uses.length === 0) return () => undefined;
  const digestKey = await source.digestKey();
  const keys = new Map<string, { key: Buffer; expected: string | undefined }>();
  for (const use of uses) {
    const key = deliveryKey(digestKey, { site: source.site, node, path: use.scope });
    const value = await source.read(use.secret).catch((error: unknown) => {
      if (error instanceof SecretError && error.code === 'SecretNotFound') return undefined;
      throw error;
    });
    keys.set(useKey(use), { key, expected: value === undefined ? undefined : keyedDigest(key, value) });
  }
  return (use) => keys.get(useKey(use));
}

const useKey = (use: SecretUse): string => `${use.secret}\0${use.scope}`;
