import { sha256 } from '../model/sha256.js';

export interface HostKey {
  /** Key type as named inside the blob, e.g. "ssh-ed25519". */
  type: string;
  /** The SSH wire-format public key blob: what the server presents and what gets compared. */
  blob: Buffer;
  comment?: string;
}

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses an OpenSSH public key line ("type base64 [comment]"). A leading host field, as printed by
 * ssh-keyscan or found in known_hosts, is skipped so either can be pasted into Git as-is.
 */
export function parseHostKey(line: string): HostKey {
  const fields = line.trim().split(/\s+/);
  const at = fields.findIndex((f) => KEY_TYPE.test(f));
  if (at < 0 || at > 1) throw new Error(`not an OpenSSH public key line: ${JSON.stringify(line.slice(0, 60))}`);
  const type = fields[at] as string;
  const data = fields[at + 1];
  if (data === undefined || !BASE64.test(data)) throw new Error(`key data for ${type} is missing or not base64`);
  const blob = Buffer.from(data, 'base64');
  // A type label that disagrees with the blob means a hand-edited or corrupted line; trusting either half is unsafe.
  const inner = blobType(blob);
  if (inner !== type) throw new Error(`key type ${type} does not match the key data (${inner ?? 'unreadable'})`);
  const comment = fields.slice(at + 2).join(' ');
  return comment ? { type, blob, comment } : { type, blob };
}

/** Reads the type name every SSH public key blob starts with (uint32 length + ASCII). */
export function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Same string `ssh-keygen -l` prints, so an operator can compare it with what the machine's console shows. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + sha256(blob, 'base64').replace(/=+$/, '');
}

export function formatHostKey(blob: Buffer, comment?: string): string {
  const type = blobType(blob);
  if (type === undefined) throw new Error('unreadable host key blob');
  return `${type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/**
 * Host-key algorithms to offer for a pinned key type. Offering only these makes a server with several host
 * keys present the pinned one, instead of a different (valid) key that would look like a mismatch.
 */
export function hostKeyAlgorithms(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}
