import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { withObjectStore } from '../source/git-objects.js';
import { splitSignedCommit } from './signed-commit.js';

export interface CommitSignatureCheck {
  /** The repository's git directory (a local repository's, or the remote's fetch cache). */
  gitDir: string;
  /** A full commit id. */
  commit: string;
  /** Path of an OpenSSH allowed-signers file (ssh-keygen(1), ALLOWED SIGNERS): principal, options, key. */
  allowedSigners: string;
  /**
   * When the key must be valid (its valid-after / valid-before in the file): now unless given. Not the
   * commit's own date, as `git verify-commit` uses: the signer writes that date, so a key past its
   * valid-before could sign a back-dated commit and pass.
   */
  at?: Date;
}

export type SignatureVerdict =
  | { verified: true; signer: string; /** The signing key's fingerprint, as `ssh-keygen -l` prints it. */ key: string }
  | { verified: false; reason: string };

/** git's namespace for commit and tag signatures: a signature made for anything else is not one for git. */
const NAMESPACE = 'git';

/**
 * Whether `commit` is signed with an SSH key the allowed-signers file lists (valid at the commit's time),
 * checked by OpenSSH itself: `ssh-keygen -Y verify` over the commit's payload, as `git verify-commit` does.
 * isomorphic-git verifies only OpenPGP. Anything else is refused with a reason a person can act on:
 * unsigned, signed with OpenPGP or X.509, a signature that does not match the commit, or a key not listed.
 * Fails closed: if the check cannot run (no allowed-signers file, no such commit) the commit is refused.
 * Throws only when ssh-keygen itself cannot be run, which is the controller's host's fault, not the commit's.
 */
export async function verifyCommitSignature(check: CommitSignatureCheck): Promise<SignatureVerdict> {
  const refuse = (reason: string): SignatureVerdict => ({ verified: false, reason: `commit ${check.commit}: ${reason}` });
  try {
    await access(check.allowedSigners, constants.R_OK);
  } catch (err) {
    return refuse(`the allowed signers file ${check.allowedSigners} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let raw: Buffer;
  try {
    raw = await withObjectStore(check.gitDir, (store) => store.readCommit(check.commit));
  } catch (err) {
    return refuse(`cannot be read from ${check.gitDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { signature, payload } = splitSignedCommit(raw);
  if (signature === undefined) return refuse('is not signed');
  if (!signature.startsWith('-----BEGIN SSH SIGNATURE-----')) return refuse(`is signed with ${signatureFormat(signature)}; only SSH signatures are verified`);
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-signature-'));
  try {
    const sigFile = path.join(dir, 'commit.sig');
    await writeFile(sigFile, signature, { mode: 0o600 });
    return await checkSsh({ sigFile, payload, allowedSigners: check.allowedSigners, at: check.at }, refuse);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface SshCheck {
  sigFile: string;
  payload: Buffer;
  allowedSigners: string;
  at: Date | undefined;
}

/** First the signature alone (does it match the payload? which key?), then whether that key is allowed. */
async function checkSsh(c: SshCheck, refuse: (reason: string) => SignatureVerdict): Promise<SignatureVerdict> {
  const alone = await sshKeygen(['-Y', 'check-novalidate', '-n', NAMESPACE, '-s', c.sigFile], c.payload);
  if (alone.code !== 0) return refuse(`its signature does not verify against its content (changed after signing, or not a git signature): ${alone.stderr.trim()}`);
  const key = /with (\S+ key \S+)/.exec(alone.stdout)?.[1] ?? 'an unknown key';
  const time = c.at === undefined ? [] : [`-Overify-time=${sshTime(c.at)}`];
  const found = await sshKeygen(['-Y', 'find-principals', '-f', c.allowedSigners, '-s', c.sigFile, ...time]);
  const principals = found.code === 0 ? found.stdout.split('\n').filter((p) => p !== '') : [];
  if (principals.length === 0) return refuse(`is signed by ${key}, which ${c.allowedSigners} does not allow${detail(found.stderr)}`);
  let last = '';
  for (const principal of principals) {
    const verified = await sshKeygen(['-Y', 'verify', '-f', c.allowedSigners, '-I', principal, '-n', NAMESPACE, '-s', c.sigFile, ...time], c.payload);
    if (verified.code === 0) return { verified: true, signer: principal, key: key.replace(/^\S+ key /, '') };
    last = verified.stderr;
  }
  return refuse(`is signed by ${key}, allowed as ${principals.join(', ')}, but its signature is not valid for it${detail(last)}`);
}

function detail(stderr: string): string {
  const text = stderr.trim().split('\n').filter((l) => l !== '').join('; ');
  return text === '' ? '' : ` (${text})`;
}

function signatureFormat(signature: string): string {
  if (signature.startsWith('-----BEGIN PGP SIGNATURE-----')) return 'OpenPGP';
  if (signature.startsWith('-----BEGIN SIGNED MESSAGE-----')) return 'X.509 (gpgsm)';
  return 'an unknown format';
}

/** ssh-keygen's time format, in UTC as the trailing Z says. */
function sshTime(at: Date): string {
  return `${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function sshKeygen(args: readonly string[], input?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('ssh-keygen', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : undefined;
      if (code === undefined) reject(new Error(`ssh-keygen could not run: ${err?.message ?? ''}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? Buffer.alloc(0));
  });
}
