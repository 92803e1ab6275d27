/**
 * An end-to-end site: real test hosts, a real Git repository (made with the `git` CLI) holding an example
 * site pinned to those hosts, and the real `underlay` CLI run as a child process against it.
 */
import type avaTest from 'ava';
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pinTestHosts } from '../../../scripts/pin-test-hosts.js';
import { createTestHosts, type TestHostCluster } from '../../hosts/harness.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
export const underlayBin = path.join(root, 'bin/underlay.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface E2ESite {
  hosts: TestHostCluster;
  repoDir: string;
  stateDir: string;
  secretsDir: string;
  /** Applies `edit` to the working tree, commits everything with the real git CLI, returns the commit id. */
  commit(message: string, edit?: (repoDir: string) => Promise<void>): Promise<string>;
  /** Runs the real CLI with --repo/--state-dir/--secrets-dir filled in for commands that take them. */
  underlay(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** Re-pins host keys and addresses (after wipeHost) and commits. */
  repin(message: string): Promise<string>;
  teardown(): Promise<void>;
}

/** Which of the site's locations each command takes. */
function siteFlags(command: string | undefined, site: { repoDir: string; stateDir: string; secretsDir: string }): string[] {
  const repo = ['--repo', site.repoDir];
  const state = ['--state-dir', site.stateDir];
  const secrets = ['--secrets-dir', site.secretsDir];
  switch (command) {
    case 'validate':
      return repo;
    case 'plan':
      return [...repo, ...state, ...secrets];
    case 'apply':
    case 'drift':
    case 'inventory':
    case 'force-unlock':
      return [...repo, ...state, ...secrets];
    case 'status':
    case 'rollout':
      return state;
    default:
      return [];
  }
}

export function runCli(args: string[], timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [underlayBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr });
    });
  });
}

export async function git(repoDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repoDir, '-c', 'user.name=underlay e2e', '-c', 'user.email=e2e@underlay.invalid', ...args]);
  return stdout.trim();
}

/**
 * The site the node-durability tests converge by default: the three-node-etcd example as it was before it
 * grew TLS, VIPs and BIND (plain HTTP, haproxy on every node), so each of them needs only the SSH client
 * key and applies in seconds. `example` takes one of examples/ instead.
 */
const PLAIN_SITE = path.join(root, 'test/e2e/sites/plain-etcd');

export interface E2ESiteOptions {
  count: number;
  example?: string;
  kind?: 'runit' | 'systemd';
  /** How many of the hosts (the first ones) have a Node document to pin at the start; default all. */
  pinned?: number;
}

export async function createE2ESite(options: E2ESiteOptions): Promise<E2ESite> {
  const work = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-'));
  const hosts = await createTestHosts({ count: options.count, kind: options.kind ?? 'runit' });
  try {
    const repoDir = path.join(work, 'site');
    const stateDir = path.join(work, 'state');
    const secretsDir = path.join(work, 'secrets');
    await cp(options.example === undefined ? PLAIN_SITE : path.join(root, 'examples', options.example), repoDir, { recursive: true });
    await mkdir(secretsDir, { recursive: true, mode: 0o700 });
    // The example site names its client key `ssh-client-key` (Site.spec.ssh.clientKeySecret).
    await cp(hosts.clientKeyPath, path.join(secretsDir, 'ssh-client-key'));
    await pinTestHosts(hosts.hosts.slice(0, options.pinned ?? hosts.hosts.length), repoDir);
    await git(repoDir, 'init', '-q', '-b', 'main');

    const commit = async (message: string, edit?: (dir: string) => Promise<void>): Promise<string> => {
      if (edit) await edit(repoDir);
      await git(repoDir, 'add', '-A');
      await git(repoDir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(repoDir, 'rev-parse', 'HEAD');
    };
    await commit('site for the e2e test hosts');

    return {
      hosts,
      repoDir,
      stateDir,
      secretsDir,
      commit,
      underlay: (args, o) => runCli([...args, ...siteFlags(args[0], { repoDir, stateDir, secretsDir })], o?.timeoutMs),
      repin: (message) => commit(message, (dir) => pinTestHosts(hosts.hosts, dir)),
      teardown: async () => {
        await hosts.teardown();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await hosts.teardown();
    throw error;
  }
}

/**
 * One e2e site per test file, made before its tests and always torn down after them (also when a test
 * fails). Returns the accessor the tests use.
 */
export function useE2ESite(options: Parameters<typeof createE2ESite>[0]): () => E2ESite {
  // Required here, not imported at the top: importing ava outside its CLI throws, and the benchmarks
  // (bench/etcd-rolling) build their sites with createE2ESite from this file. The same module instance.
  const test = createRequire(import.meta.url)('ava') as typeof avaTest;
  let site: E2ESite | undefined;
  test.before(async () => {
    site = await createE2ESite(options);
  });
  test.after.always(async () => {
    await site?.teardown();
  });
  return () => {
    if (!site) throw new Error('the e2e site did not come up');
    return site;
  };
}
