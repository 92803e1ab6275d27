/**
 * The controller's secrets (SSH client key, CA keys, TSIG keys), referenced from Git by name and never
 * stored in it. The embedded mode keeps them as files in a directory; a Kubernetes deployment would read
 * Secrets behind the same interface.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SecretName } from '../spec/schema.js';
import { UnderlayError } from '../model/errors.js';

export class SecretError extends UnderlayError<{ name: string }> {
  declare readonly code: 'InvalidSecretName' | 'SecretNotFound' | 'SecretTooOpen' | 'SecretExists';

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

  private pathOf(name: string): string {
    // Names come from Git: a name must never reach outside the directory.
    if (!SecretName.safeParse(name).success) throw new SecretError('InvalidSecretName', name, `secret name ${JSON.stringify(name)} is not a plain name`);
    return path.join(this.dir, name);
  }

  async file(name: string): Promise<string> {
    const file = this.pathOf(name);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new SecretError('SecretNotFound', name, `secret ${name}: no file ${file}`);
    // As OpenSSH does for keys: a secret others can read is refused rather than used.
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new SecretError('SecretTooOpen', name, `secret ${name}: ${file} has mode ${mode}, readable by others; chmod 600 it`);
    }
    return file;
  }

  /**
   * Stores a new secret (a CA key made by `underlay pki init`), 0600, and never over an existing one: a CA key
   * overwritten is every certificate it signed orphaned. Written whole under a temporary name, then linked
   * into place, so no reader ever sees half a key and two writers cannot both win.
   */
  async create(name: string, content: string | Buffer): Promise<string> {
    const file = this.pathOf(name);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = path.join(this.dir, `.${name}.${randomUUID()}.tmp`);
    await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
    try {
      await link(temporary, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SecretError('SecretExists', name, `secret ${name}: ${file} exists already; it is never overwritten`);
      throw err;
    } finally {
      await rm(temporary, { force: true });
    }
    return file;
  }
}
