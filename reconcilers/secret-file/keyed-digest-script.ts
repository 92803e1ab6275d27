/**
 * HMAC-SHA256 computed on the node with nothing but sh and sha256sum, so the probe and the write can check
 * a secret file's content against a keyed digest without the controller reading the file back, and
 * without a plain hash of it leaving the node (ADR 0014). The key arrives on stdin as its two padded
 * blocks (RFC 2104: key XOR ipad, key XOR opad), written as `\0NNN` octal escapes for `printf %b`: never
 * on argv, where `ps` would show it.
 */

const IPAD = 0x36;
const OPAD = 0x5c;
/** SHA-256's block size: the key is zero-padded to it. */
const BLOCK = 64;

const octal = (bytes: Uint8Array): string => [...bytes].map((b) => `\\0${b.toString(8).padStart(3, '0')}`).join('');

/** The key's inner and outer blocks, as `printf %b` escapes, separated by a space (neither holds one). */
export function hmacPads(key: Uint8Array): string {
  if (key.length > BLOCK) throw new Error('an HMAC key longer than a block is hashed first; derived keys are 32 bytes');
  const block = new Uint8Array(BLOCK);
  block.set(key);
  return `${octal(block.map((b) => b ^ IPAD))} ${octal(block.map((b) => b ^ OPAD))}`;
}

/**
 * sh: `keyed_digest FILE INNER OUTER` prints the hex HMAC of FILE. sha256sum's hex inner hash becomes
 * bytes again through arithmetic expansion (no subshell per byte). Its variables start with `kd_`, so it
 * clobbers nothing of the script that defines it.
 */
export const KEYED_DIGEST_FUNCTION = `keyed_digest() {
  kd_h=$({ printf '%b' "$2"; cat -- "$1"; } | sha256sum) || return 1
  kd_h=\${kd_h%% *} kd_o=
  while [ -n "$kd_h" ]; do
    kd_x=\${kd_h%"\${kd_h#??}"}; kd_h=\${kd_h#??}; kd_n=$((0x$kd_x))
    kd_o="$kd_o\\\\0$((kd_n >> 6))$(((kd_n >> 3) & 7))$((kd_n & 7))"
  done
  kd_h=$({ printf '%b' "$3"; printf '%b' "$kd_o"; } | sha256sum) || return 1
  printf '%s' "\${kd_h%% *}"
}
`;
