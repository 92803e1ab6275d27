/**
 * A zone's TSIG key, by name from the controller's secret store (a `tsig-keygen` key file, 0600): never
 * from Git, never in the plan. Errors name the secret, never its content.
 */
import { readFile } from 'node:fs/promises';
import type { SecretStore } from '../../secrets/secret-store.js';
import type { TsigKey } from './tsig.js';
import { parseTsigKeyFile } from './tsig-key-file.js';

export async function loadTsigKey(store: SecretStore, secretName: string): Promise<TsigKey> {
  return parseTsigKeyFile(await readFile(await store.file(secretName), 'utf8'), secretName);
}
