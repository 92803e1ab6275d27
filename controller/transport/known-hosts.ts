/**
 * OpenSSH's known_hosts format (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"), for servers whose keys the
 * controller's own configuration pins (Git servers), as opposed to nodes, whose keys are pinned in Git.
 * Supported as OpenSSH reads it: comma-separated host patterns with `*`, `?` and `!` negation,
 * `[host]:port` for ports other than 22, hashed names (`|1|salt|hash`, as `ssh-keygen -H` writes them) and
 * `@revoked` keys. `@cert-authority` lines are read but not used: host certificates are not supported, so
 * a host trusted only through a CA is not trusted here. Pure.
 */
import { createHmac } from 'node:crypto';
import { parseHostKey, type HostKey } from './host-key.js';

export interface KnownHostsEntry {
  /** 1-based, for messages. */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The host field as written: comma-separated patterns, or one hashed name. */
  hosts: string;
  key: HostKey;
}

export interface KnownHosts {
  /** Where it was read from, for messages. */
  file: string;
  entries: KnownHostsEntry[];
  /** Lines that are neither blank, a comment nor an entry; OpenSSH skips them too, but says so when asked. */
  unreadable: { line: number; reason: string }[];
}

export interface HostKeys {
  /** The name looked up: `host`, or `[host]:port` when the port is not 22. */
  name: string;
  /** Keys the server may present. */
  pinned: KnownHostsEntry[];
  /** Keys it must not present, even when also pinned. */
  revoked: KnownHostsEntry[];
  /** `@cert-authority` lines for this host, which are not used (see above). */
  certAuthorities: KnownHostsEntry[];
}

const MARKERS: Record<string, KnownHostsEntry['marker']> = { '@revoked': 'revoked', '@cert-authority': 'cert-authority' };

export function parseKnownHosts(text: string, file: string): KnownHosts {
  const known: KnownHosts = { file, entries: [], unreadable: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift()! : undefined;
    if (marker !== undefined && !(marker in MARKERS)) {
      known.unreadable.push({ line: i + 1, reason: `unknown marker ${marker}` });
      return;
    }
    const hosts = fields.shift() ?? '';
    try {
      // The host field is consumed here, so the key must be what follows it, not some later field.
      const key = parseHostKey(fields.join(' '));
      if (fields[0] !== key.type) throw new Error('expected the key type right after the host names');
      known.entries.push({ line: i + 1, marker: marker === undefined ? undefined : MARKERS[marker], hosts, key });
    } catch (err) {
      known.unreadable.push({ line: i + 1, reason: err instanceof Error ? err.message : String(err) });
    }
  });
  return known;
}

/** The keys known for `host` on `port`, as ssh looks them up (host names compare without case). */
export function hostKeys(known: KnownHosts, host: string, port: number): HostKeys {
  const name = port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
  const found: HostKeys = { name, pinned: [], revoked: [], certAuthorities: [] };
  for (const entry of known.entries) {
    if (!hostFieldMatches(entry.hosts, name)) continue;
    if (entry.marker === 'revoked') found.revoked.push(entry);
    else if (entry.marker === 'cert-authority') found.certAuthorities.push(entry);
    else found.pinned.push(entry);
  }
  return found;
}

function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedNameMatches(field, name);
  let matched = false;
  for (const pattern of field.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    // A matching negation excludes the host whatever else on the line matches.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. */
function hashedNameMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (salt === undefined || hash === undefined) return false;
  const expected = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.equals(Buffer.from(hash, 'base64'));
}

/** OpenSSH's match_pattern: `*` is any run of characters, `?` any one; all else is literal. */
function globMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(name);
}
