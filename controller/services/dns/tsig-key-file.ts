/**
 * The key file `tsig-keygen -a hmac-sha256 NAME` writes, as BIND's named.conf and `nsupdate -k` read it:
 *   key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 * The secret store keeps TSIG keys in this form, so one file serves BIND, nsupdate and underlay. Pure.
 * Errors name the secret, never its content.
 */
import { UnderlayError } from '../../model/errors.js';
import { HMAC_SHA256, TsigKey } from './tsig.js';

export class TsigKeyFileError extends UnderlayError<{ secret: string }> {
  declare readonly code: 'TsigKeyInvalid';

  constructor(secret: string, message: string) {
    super({ code: 'TsigKeyInvalid', message, data: { secret } });
  }
}

const KEY_FILE = /^\s*key\s+"?([A-Za-z0-9._-]+)"?\s*\{\s*algorithm\s+"?([A-Za-z0-9-]+)"?\s*;\s*secret\s+"([A-Za-z0-9+/=]+)"\s*;\s*\}\s*;\s*$/;

export function parseTsigKeyFile(text: string, secretName: string): TsigKey {
  const m = KEY_FILE.exec(text);
  if (!m) throw new TsigKeyFileError(secretName, `secret ${secretName} is not a TSIG key file (key "NAME" { algorithm hmac-sha256; secret "..."; };)`);
  const [, name, algorithm, secret] = m as unknown as [string, string, string, string];
  if (algorithm.toLowerCase() !== HMAC_SHA256) throw new TsigKeyFileError(secretName, `secret ${secretName}: TSIG algorithm ${algorithm} is not supported (only ${HMAC_SHA256})`);
  const bytes = Buffer.from(secret, 'base64');
  if (bytes.length < 16) throw new TsigKeyFileError(secretName, `secret ${secretName}: the TSIG secret is shorter than 16 bytes`);
  return new TsigKey(name, bytes);
}
