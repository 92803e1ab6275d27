/**
 * The controller's secrets (SSH client key, CA keys, TSIG keys), referenced from Git by name and never
 * stored in it. The embedded mode keeps them as files in a directory; a Kubernetes deployment would read
 * Secrets behind the same interface.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SecretName } from '../spec/schema.js';
import { UnderlayError } from '../model/errors.js';

export class SecretError extends UnderlayError<{ name: string }> {
  declare readonly code: 'InvalidSecretName' | 'SecretNotFound' | 'SecretTooOpen' | 'SecretExists' | 'DigestKeyInvalid';

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
    return this.checked(name, this.pathOf(name));
  }

  /**
   * Every secret's text, for what must never show one (alert payloads redact them). A file that cannot be
   * read as a secret (too open, a stray name) is left out: it is refused wherever it is used.
   */
  async values(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const read = await Promise.all(names.filter((n) => SecretName.safeParse(n).success).map((n) => this.read(n).then((b) => b.toString('utf8'), () => undefined)));
    return read.filter((v): v is string => v !== undefined && v.trim() !== '');
  }

  /** The secret's bytes, checked as `file` checks them. */
  async read(name: string): Promise<Buffer> {
    return readFile(await this.file(name));
  }

  /**
   * The site's digest key (controller/secrets/keyed-digest.ts): 32 random bytes, made on first use and kept
   * like every secret. Its name starts with "_", which no secret name from Git can, so no resource can ever
   * deliver it.
   */
  async digestKey(site: string): Promise<Buffer> {
    const name = `_digest-key.${site}`;
    const file = path.join(this.dir, name);
    if (!SecretName.safeParse(site).success) throw new SecretError('InvalidSecretName', name, `site id ${JSON.stringify(site)} cannot name a digest key`);
    const existing = await stat(file).catch(() => null);
    if (!existing) await this.create(name, randomBytes(32), file).catch((error: unknown) => {
      // Another controller made it first: theirs is the key.
      if (!(error instanceof SecretError && error.code === 'SecretExists')) throw error;
    });
    const key = await readFile(await this.checked(name, file));
    if (key.length !== 32) throw new SecretError('DigestKeyInvalid', name, `digest key ${file} holds ${key.length} bytes, not 32; move it away to make a new one (every secret file is then delivered again)`);
    return key;
  }

  private async checked(name: string, file: string): Promise<string> {
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
  async create(name: string, content: string | Buffer, file = this.pathOf(name)): Promise<string> {
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
