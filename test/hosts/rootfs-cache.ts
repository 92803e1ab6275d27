import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';

export const CACHE_DIR = '/var/cache/underlay-test';
// Bump the suffix when the package set changes: nodes may be running on top of an old one,
// and a lower layer must never change under a mounted overlay.
export const SYSTEMD_ROOTFS = join(CACHE_DIR, 'bookworm-systemd-v1');
const PACKAGES = 'systemd,systemd-sysv,dbus,openssh-server,iproute2';

/** The Debian mirror this machine already uses, so CI behind a proxy or snapshot keeps working. */
export function debianMirror(): string {
  const texts: string[] = [];
  const tryRead = (p: string) => {
    try {
      texts.push(readFileSync(p, 'utf8'));
    } catch {
      // absent
    }
  };
  tryRead('/etc/apt/sources.list');
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) tryRead(join('/etc/apt/sources.list.d', f));
    }
  } catch {
    // absent
  }
  const candidates: string[] = [];
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('#')) continue;
      // one-line format: deb [opts] URI suite comps
      const m1 = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m1?.[1] && m1[2]) {
        if (/^bookworm$/.test(m1[2])) candidates.push(m1[1]);
        continue;
      }
      // deb822 format
      const m2 = /^URIs:\s*(\S+)/i.exec(line);
      if (m2?.[1]) candidates.push(m2[1]);
    }
  }
  const mirror = candidates.find((u) => /^https?:\/\//.test(u) && !/security/.test(u));
  return mirror ?? 'http://deb.debian.org/debian';
}

// Runs under flock so parallel test files build it once; builds into a temp dir and renames
// so a crash never leaves a half-built rootfs that looks finished.
const BUILD_SCRIPT = `
set -eu
final=$1 mirror=$2 packages=$3
[ -d "$final" ] && exit 0
for m in $(awk -v p="$final.tmp." 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" || true; done
rm -rf --one-file-system "$final".tmp.*
tmp="$final.tmp.$$"
debootstrap --variant=minbase --include="$packages" bookworm "$tmp" "$mirror"
for m in $(awk -v p="$tmp/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" || true; done
# Build-time host keys and machine-id would be shared by every node: each node makes its own.
rm -f "$tmp"/etc/ssh/ssh_host_*
: > "$tmp/etc/machine-id"
rm -f "$tmp/usr/sbin/policy-rc.d"
mv -T "$tmp" "$final"
`;

/** Returns the cached debootstrapped rootfs, building it (~60 s) the first time on this machine. */
export async function ensureSystemdRootfs(): Promise<string> {
  if (existsSync(SYSTEMD_ROOTFS)) return SYSTEMD_ROOTFS;
  mkdirSync(CACHE_DIR, { recursive: true });
  const r = await run(
    ['flock', join(CACHE_DIR, '.build.lock'), 'sh', '-c', BUILD_SCRIPT, 'build-rootfs', SYSTEMD_ROOTFS, debianMirror(), PACKAGES],
    { timeoutMs: 15 * 60_000 },
  );
  if (r.code !== 0 || !existsSync(SYSTEMD_ROOTFS)) {
    throw new Error(`debootstrap of ${SYSTEMD_ROOTFS} failed (${r.code}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-4000)}`);
  }
  return SYSTEMD_ROOTFS;
}
