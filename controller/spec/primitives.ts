/**
 * The value types documents and resource kinds are made of. Apart from schema.ts, so that each kind's entry
 * (reconcilers/<kind>/) can use them while schema.ts assembles the kinds' entries from the registry.
 */
import { z } from 'zod';

/** DNS-1123 label: names become file names, unit names and resource ids, so keep them boring. */
export const Name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, -; at most 63 characters)');

/** Octal file mode as a string, so YAML never turns 0644 into 420. */
export const FileMode = z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode string such as "0644"');

/** A POSIX account or group name (also used unquoted in runit run scripts, so it stays strict). */
export const Account = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a POSIX user or group name');

/**
 * An absolute path on a node. `..` segments are refused here; whether the path lies inside the site's
 * allowed roots is checked by the loader (it needs the Site document).
 */
export const NodePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments')
  .refine((p) => !/[\n\r]/.test(p), 'must not contain line breaks');

/** A name in the controller's secret store (a file name in the embedded mode): never a path. */
export const SecretName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,252}$/, 'must be a plain secret name (a-z, 0-9, ".", "_", "-")');

/** Template text: Liquid, rendered with `inputs` and `node` in scope; undefined variables are errors. */
export const Template = z.string();

/**
 * Bytes as base64 (RFC 4648: A-Z a-z 0-9 + /, padded with =). Spaces and line breaks are ignored, so the output
 * of `base64` can be pasted as a YAML block.
 */
export const Base64 = z.string().refine((s) => {
  const compact = s.replace(/\s+/g, '');
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}, 'must be base64 (A-Z, a-z, 0-9, "+", "/"), padded with "=" to a multiple of 4 characters');

/** A sha256 digest as observed (lower-case hex). */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
