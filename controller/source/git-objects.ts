/**
 * A repository's object store, read with git's own plumbing: `ls-tree -l` lists a commit's files with each
 * blob's size, read from the loose-object or pack header (deltas included) without inflating the blob, and
 * `cat-file --batch` streams only the blobs asked for. isomorphic-git can do neither: its readBlob inflates a
 * blob whole before anyone can see its size, and its first read from a pack loads the whole pack file.
 *
 * The repository contributes nothing but its objects. git runs with an empty git directory of our own and
 * GIT_OBJECT_DIRECTORY at the repository's objects, so none of the repository's config (fsmonitor, hooks,
 * sshCommand, includes), replace refs, grafts or shallow file is read, and neither is the system's or the
 * user's config.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isNotFound } from './source-fs.js';

export interface TreeBlob {
  /** Repository-relative POSIX path. */
  path: string;
  /** As git canonicalises it: 100644, 100755 or 120000. */
  mode: string;
  oid: string;
  /** Bytes, from the object header. */
  size: number;
}

/** A listing bigger than this is not a site repository; stop before holding it. */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

/** Why git could not read what was asked; the caller names the repository and ref. */
export class ObjectReadError extends Error {
  override readonly name = 'ObjectReadError';
}

/** What `cat-file --batch-check` says about a name: an object, or why there is none. */
export type ObjectInfo = { name: string; found: true; oid: string; type: string; size: number } | { name: string; found: false; reason: 'missing' | 'ambiguous' };

export interface ObjectStore {
  /**
   * Looks up object names (a full or abbreviated id, optionally `^{commit}` to peel tags) from the headers
   * alone. Names must be hex ids with at most that suffix: they are written to git one per line.
   */
  describe(names: readonly string[]): Promise<ObjectInfo[]>;
  /** Every blob of the commit's tree, recursively; submodule entries (commits) are left out. */
  listBlobs(commit: string): Promise<TreeBlob[]>;
  /** The contents of `oids`, in order. Callers ask only for what they mean to hold in memory. */
  readBlobs(oids: readonly string[]): Promise<Uint8Array[]>;
  /** The raw bytes of one commit object (headers, signature and message as git stored them). */
  readCommit(oid: string): Promise<Buffer>;
}

/** Opens the object store of `gitdir` for the duration of `task`. */
export async function withObjectStore<T>(gitdir: string, task: (store: ObjectStore) => Promise<T>): Promise<T> {
  const objects = await objectDirectory(gitdir);
  const empty = await mkdtemp(path.join(tmpdir(), 'underlay-git-'));
  try {
    await writeFile(path.join(empty, 'HEAD'), 'ref: refs/heads/none\n');
    await mkdir(path.join(empty, 'refs'));
    const env = plumbingEnv(empty, objects);
    return await task({
      describe: (names) => describe(env, names),
      listBlobs: (commit) => listBlobs(env, commit),
      readBlobs: (oids) => readBlobs(env, oids),
      readCommit: (oid) => readCommit(env, oid),
    });
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
}

/** A linked worktree's git directory keeps its objects in the common directory it names. */
async function objectDirectory(gitdir: string): Promise<string> {
  try {
    const common = (await readFile(path.join(gitdir, 'commondir'), 'utf8')).trim();
    return path.join(path.resolve(gitdir, common), 'objects');
  } catch (err) {
    if (isNotFound(err)) return path.join(gitdir, 'objects');
    throw err;
  }
}

/** Built from nothing rather than from process.env, so no GIT_* variable of the caller's leaks in. */
function plumbingEnv(gitdir: string, objects: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: gitdir,
    LC_ALL: 'C',
    GIT_DIR: gitdir,
    GIT_OBJECT_DIRECTORY: objects,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
  };
}

/** Also on the command line, so a future git that reads more from its environment still runs none of it. */
const NEUTRAL_CONFIG = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'core.sshCommand=false', '-c', 'protocol.allow=never'];

function git(args: readonly string[]): string[] {
  return ['--no-pager', ...NEUTRAL_CONFIG, ...args];
}

function failure(what: string, err: unknown): ObjectReadError {
  const e = err as { code?: unknown; stderr?: unknown; message?: unknown };
  if (e.code === 'ENOENT') return new ObjectReadError(`${what}: the git command is needed to read a revision and was not found on PATH`, { cause: err });
  const detail = typeof e.stderr === 'string' && e.stderr.trim() !== '' ? e.stderr.trim() : String(e.message ?? err);
  return new ObjectReadError(`${what}: ${detail}`, { cause: err });
}

const OBJECT_NAME = /^[0-9a-f]{4,64}(\^\{commit\})?$/;

function describe(env: NodeJS.ProcessEnv, names: readonly string[]): Promise<ObjectInfo[]> {
  const bad = names.find((n) => !OBJECT_NAME.test(n));
  if (bad !== undefined) return Promise.reject(new ObjectReadError(`not an object name: ${JSON.stringify(bad)}`));
  return new Promise((resolve, reject) => {
    const child = execFile('git', git(['cat-file', '--batch-check']), { env, encoding: 'utf8', maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(failure('looking up objects', Object.assign(err, { stderr })));
        return;
      }
      const lines = stdout.split('\n').slice(0, names.length);
      const infos = names.map((name, i): ObjectInfo | null => {
        const words = (lines[i] ?? '').split(' ');
        if (words.length === 2 && words[0] === name && (words[1] === 'missing' || words[1] === 'ambiguous')) return { name, found: false, reason: words[1] };
        if (words.length === 3 && /^[0-9a-f]{40,64}$/.test(words[0]!) && /^\d+$/.test(words[2]!)) return { name, found: true, oid: words[0]!, type: words[1]!, size: Number(words[2]) };
        return null;
      });
      if (infos.some((info) => info === null)) reject(new ObjectReadError(`looking up objects: unexpected answer ${JSON.stringify(stdout.slice(0, 200))}`));
      else resolve(infos as ObjectInfo[]);
    });
    child.stdin?.end(`${names.join('\n')}\n`);
  });
}

const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function readCommit(env: NodeJS.ProcessEnv, oid: string): Promise<Buffer> {
  if (!COMMIT_ID.test(oid)) return Promise.reject(new ObjectReadError(`not a full commit id: ${JSON.stringify(oid)}`));
  return new Promise((resolve, reject) => {
    execFile('git', git(['cat-file', 'commit', oid]), { env, encoding: 'buffer', maxBuffer: MAX_LISTING_BYTES }, (err, stdout, stderr) => {
      if (err) reject(failure(`reading commit ${oid}`, Object.assign(err, { stderr: stderr.toString('utf8') })));
      else resolve(stdout);
    });
  });
}

const LS_TREE_LINE = /^(\d{6}) (\w+) ([0-9a-f]{40,64}) +(\d+|-)\t([\s\S]+)$/;

function listBlobs(env: NodeJS.ProcessEnv, commit: string): Promise<TreeBlob[]> {
  return new Promise((resolve, reject) => {
    execFile('git', git(['ls-tree', '-r', '-l', '-z', '--full-tree', commit]), { env, encoding: 'buffer', maxBuffer: MAX_LISTING_BYTES }, (err, stdout, stderr) => {
      if (err) {
        reject(failure(`listing the files of ${commit}`, Object.assign(err, { stderr: stderr.toString('utf8') })));
        return;
      }
      const blobs: TreeBlob[] = [];
      for (const record of stdout.toString('utf8').split('\0')) {
        if (record === '') continue;
        const m = LS_TREE_LINE.exec(record);
        if (!m) {
          reject(new ObjectReadError(`listing the files of ${commit}: unexpected line ${JSON.stringify(record.slice(0, 200))}`));
          return;
        }
        // Submodules are commits of another repository, whose content is not here.
        if (m[2] !== 'blob') continue;
        blobs.push({ mode: m[1]!, oid: m[3]!, size: Number(m[4]), path: m[5]! });
      }
      resolve(blobs);
    });
  });
}

function readBlobs(env: NodeJS.ProcessEnv, oids: readonly string[]): Promise<Uint8Array[]> {
  if (oids.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const child = spawn('git', git(['cat-file', '--batch']), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const parser = new BatchParser(oids);
    let stderr = '';
    let failed: ObjectReadError | null = null;
    const fail = (err: ObjectReadError): void => {
      failed ??= err;
      child.kill();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        parser.push(chunk);
      } catch (err) {
        fail(err as ObjectReadError);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined); // git exiting early is reported through 'close'
    child.on('error', (err) => {
      fail(failure('reading blobs', err));
      reject(failed);
    });
    child.on('close', (code) => {
      if (failed) reject(failed);
      else if (code !== 0) reject(failure('reading blobs', { message: `git cat-file exited with ${code}`, stderr }));
      else if (!parser.done) reject(new ObjectReadError(`reading blobs: git cat-file stopped after ${parser.blobs.length} of ${oids.length}`));
      else resolve(parser.blobs);
    });
    child.stdin.end(`${oids.join('\n')}\n`);
  });
}

/**
 * Splits `cat-file --batch` output (`<oid> <type> <size>\n<content>\n` per object) into blobs as it
 * arrives, copying each content once into a buffer of the size the header announced.
 */
class BatchParser {
  readonly blobs: Uint8Array[] = [];
  readonly #oids: readonly string[];
  #header = '';
  #content: Uint8Array | null = null;
  #filled = 0;
  /** The newline after each content. */
  #trailer = false;

  constructor(oids: readonly string[]) {
    this.#oids = oids;
  }

  get done(): boolean {
    return this.blobs.length === this.#oids.length && this.#content === null && !this.#trailer;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#trailer) {
        if (chunk[at] !== 10) throw new ObjectReadError(`reading blob ${this.#oids[this.blobs.length - 1]}: git's output lost its framing`);
        this.#trailer = false;
        at++;
      } else if (this.#content) {
        const n = Math.min(chunk.length - at, this.#content.length - this.#filled);
        this.#content.set(chunk.subarray(at, at + n), this.#filled);
        this.#filled += n;
        at += n;
        if (this.#filled === this.#content.length) this.#finish();
      } else {
        const newline = chunk.indexOf(10, at);
        const end = newline === -1 ? chunk.length : newline;
        this.#header += chunk.toString('latin1', at, end);
        at = end;
        if (newline !== -1) {
          at++;
          this.#begin();
        }
      }
    }
  }

  #begin(): void {
    const header = this.#header;
    this.#header = '';
    const expected = this.#oids[this.blobs.length];
    const [oid, type, size] = header.split(' ');
    if (oid !== expected || type !== 'blob' || size === undefined || !/^\d+$/.test(size)) {
      throw new ObjectReadError(`reading blob ${expected ?? '?'}: git answered ${JSON.stringify(header.slice(0, 200))}`);
    }
    this.#content = new Uint8Array(Number(size));
    this.#filled = 0;
    if (this.#content.length === 0) this.#finish();
  }

  #finish(): void {
    this.blobs.push(this.#content!);
    this.#content = null;
    this.#trailer = true;
  }
}
