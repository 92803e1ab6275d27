import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * A real host key of a machine outside the site: freshly made, its private half thrown away. Tests that pin
 * a wrong key use it, since another node's key of the same site is refused at load (DuplicateHostKey).
 */
export async function foreignHostKey(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-key-'));
  try {
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', path.join(dir, 'key')]);
    return (await readFile(path.join(dir, 'key.pub'), 'utf8')).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
