/**
 * The controller's secrets (SSH client key, CA keys, TSIG keys), referenced from Git by name and never
 * stored in it. The embedded mode keeps them as files in a directory; a Kubernetes deployment would read
 * Secrets behind the same interface.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SecretName } from '../spec/schema.js';
import { UnderlayError } from '../model/errors.js';

export class SecretError extends UnderlayError<{ name: string }> {
  declare readonly code: 'InvalidSecretName' | 'SecretNotFound' | 'SecretTooOpen';

  constructor(code: SecretError['code'], name: string, message: string) {
    super({ code, message, data: { name } });
  }
}

export interface SecretStore {
  /** A file holding the secret, for tools that want a path (an SSH key). Checked before it is returned. */
  file(name: string): Promise<string>;
}

export class DirectorySecretStore implements SecretStore {
  constructor(readonly dir: string) {}

  async file(name: string): Promise<string> {
    // Names come from Git: a name must never reach outside the directory.
    if (!SecretName.safeParse(name).success) throw new SecretError('InvalidSecretName', name, `secret name ${JSON.stringify(name)} is not a plain name`);
    const file = path.join(this.dir, name);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new SecretError('SecretNotFound', name, `secret ${name}: no file ${file}`);
    // As OpenSSH does for keys: a secret others can read is refused rather than used.
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new SecretError('SecretTooOpen', name, `secret ${name}: ${file} has mode ${mode}, readable by others; chmod 600 it`);
    }
    return file;
  }
}
