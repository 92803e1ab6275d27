import type { Readable } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { blobType, fingerprint, formatHostKey } from './host-key.js';
import { UnderlayError } from '../model/errors.js';

export interface KeyscanOptions {
  address: string;
  port?: number;
  /** Default 10000. */
  timeoutMs?: number;
  /** Host-key algorithms in order of preference; the server presents the first one it has. */
  algorithms?: string[];
  /** An already-open stream to the server, e.g. a channel through a jump host. */
  sock?: Readable;
}

export interface ScannedKey {
  /** OpenSSH public key line, ready to paste into the Node document after verification. */
  key: string;
  type: string;
  /** As `ssh-keygen -l` prints it, for comparing with the machine's console. */
  fingerprint: string;
  blob: Buffer;
}

/** No host key could be read (nothing listening, not SSH, key exchange failed): a fact about the target, not a bug. */
export class KeyscanFailed extends UnderlayError<{ target: string }> {
  constructor(target: string, detail: string, cause?: unknown) {
    super({ code: 'KeyscanFailed', message: `keyscan ${target}: ${detail}`, data: { target }, cause });
  }
}

const PREFERRED = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

/**
 * Reads the host key a server offers. The verifier rejects every key, so the session ends inside key
 * exchange: nothing is authenticated and the key is not trusted, only reported for a person to check.
 */
export function keyscan(options: KeyscanOptions): Promise<ScannedKey> {
  const target = `${options.address}:${options.port ?? 22}`;
  return new Promise<ScannedKey>((resolve, reject) => {
    const client = new Client();
    let presented: Buffer | undefined;
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      client.end();
      if (presented) {
        const type = blobType(presented) ?? 'unknown';
        resolve({ key: formatHostKey(presented), type, fingerprint: fingerprint(presented), blob: presented });
      } else {
        reject(new KeyscanFailed(target, `no host key received${err ? `: ${err.message}` : ''}`, err));
      }
    };
    client.on('error', (err) => finish(err));
    client.on('close', () => finish());
    client.on('ready', () => finish(new Error('unexpectedly authenticated')));
    try {
      client.connect({
        host: options.address,
        port: options.port ?? 22,
        // Never sent: the session is abandoned before authentication.
        username: 'underlay-keyscan',
        readyTimeout: options.timeoutMs ?? 10_000,
        ...(options.sock ? { sock: options.sock } : {}),
        algorithms: {
          serverHostKey: (options.algorithms ?? PREFERRED) as NonNullable<
            NonNullable<ConnectConfig['algorithms']>['serverHostKey']
          >,
        },
        hostVerifier: (key: Buffer) => {
          presented = Buffer.from(key);
          return false;
        },
      });
    } catch (err) {
      finish(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
