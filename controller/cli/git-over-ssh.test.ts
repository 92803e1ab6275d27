/**
 * `underlay validate --repo` with repositories behind SSH, through the CLI: ssh:// URLs and scp-like
 * user@host:path, known_hosts and the key from where the options (or their defaults) say, and the errors
 * an operator sees when either is missing.
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startGitSshServer, startGitSshServerInNetns, type GitSshServer } from '../../test/support/git-ssh-server.js';
import { main } from './main.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'underlay-cli-ssh-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

function git(dir: string, ...args: string[]): string {
  const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@underlay.invalid', '-c', 'init.defaultBranch=main', ...args], { env, encoding: 'utf8' }).trim();
}

/** A valid site (the first scenario), committed in `dir`, and a bare clone of it to serve. */
function site(dir = mkdtempSync(path.join(work, 'site-'))): { dir: string; bare: string; commit: string } {
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(root, 'test/scenarios/01-first-apply/repo'), dir, { recursive: true });
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'site');
  const bare = `${dir}.git`;
  git(work, 'clone', '-q', '--bare', dir, bare);
  return { dir, bare, commit: git(dir, 'rev-parse', 'HEAD') };
}

/** A state directory as the controller would have it: known_hosts pinning the server, the Git key in secrets/. */
function stateDir(server: GitSshServer, secret = 'git-ssh-key'): string {
  const dir = mkdtempSync(path.join(work, 'state-'));
  writeFileSync(path.join(dir, 'known_hosts'), `${server.knownHostsLine}\n`);
  mkdirSync(path.join(dir, 'secrets'), { mode: 0o700 });
  copyFileSync(server.client.privateKeyPath, path.join(dir, 'secrets', secret));
  return dir;
}

async function cli(args: string[], cwd = work): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const env = { HOME: work, XDG_CACHE_HOME: path.join(work, 'cache') };
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env });
  return { code, stdout, stderr };
}

let server: GitSshServer;
test.before(async () => {
  server = await startGitSshServer();
});
test.after.always(() => server.stop());

test('validate --repo ssh://… reads the site with known_hosts and the key from the state directory', async (t) => {
  const s = site();
  const state = stateDir(server);
  const { code, stdout, stderr } = await cli(['validate', '--repo', server.url(s.bare), '--state-dir', state]);
  t.is(code, 0, stderr);
  t.regex(stdout, new RegExp(`^Valid: revision ${s.commit}, \\d+ node\\(s\\)`));
});

test('validate --repo user@host:path, with --known-hosts, --secrets-dir and --git-key-secret', async (t) => {
  const s = site();
  const state = stateDir(server, 'deploy-key');
  const repo = `[root@127.0.0.1:${server.port}]:${s.bare}`;
  const args = ['validate', '--repo', repo, '--known-hosts', path.join(state, 'known_hosts'), '--secrets-dir', path.join(state, 'secrets'), '--git-key-secret', 'deploy-key'];
  const { code, stdout, stderr } = await cli(args);
  t.is(code, 0, stderr);
  t.regex(stdout, new RegExp(`^Valid: revision ${s.commit}`));
});

test('a missing Git key names the secret file and the options that choose it', async (t) => {
  const s = site();
  const state = stateDir(server, 'another-name');
  const { code, stdout, stderr } = await cli(['validate', '--repo', server.url(s.bare), '--state-dir', state]);
  t.is(code, 1);
  t.is(stdout, '');
  t.true(stderr.startsWith(`error: ${server.url(s.bare)} @ HEAD: the SSH key for Git servers: secret git-ssh-key: no file ${path.join(state, 'secrets', 'git-ssh-key')}`), stderr);
  t.regex(stderr, / \[CredentialsMissing\]\n$/);
  t.regex(stderr, /--git-key-secret NAME/);
});

test('a server not in known_hosts is refused, naming the host and the file', async (t) => {
  const s = site();
  const state = stateDir(server);
  writeFileSync(path.join(state, 'known_hosts'), '');
  const { code, stderr } = await cli(['validate', '--repo', server.url(s.bare), '--state-dir', state]);
  t.is(code, 1);
  t.true(stderr.startsWith(`error: ${server.url(s.bare)} @ HEAD: Git server [127.0.0.1]:${server.port} has no key in ${path.join(state, 'known_hosts')}`), stderr);
  t.regex(stderr, / \[HostKeyUnknown\]\n$/);
});

test("a local directory with ':' in its name: ./odd:name is local; odd:name is a host, and the error says how to write the path", async (t) => {
  const parent = mkdtempSync(path.join(work, 'colon-'));
  site(path.join(parent, 'odd:name'));
  const local = await cli(['validate', '--repo', './odd:name'], parent);
  t.is(local.code, 0, local.stderr);
  t.regex(local.stdout, /^Valid: revision/);
  t.is((await cli(['validate', '--repo', path.join(parent, 'odd:name')])).code, 0);

  const state = stateDir(server);
  const scp = await cli(['validate', '--repo', 'odd:name', '--state-dir', state], parent);
  t.is(scp.code, 1);
  t.regex(scp.stderr, /^error: odd:name @ HEAD: Git server odd has no key.* \[HostKeyUnknown\]$/m);
  t.regex(scp.stderr, /write \.\/odd:name for a local path/);
});

test('an unsupported URL scheme is refused as such, not looked for as a local path', async (t) => {
  const { code, stderr } = await cli(['validate', '--repo', 'git://example.com/site.git']);
  t.is(code, 1);
  t.regex(stderr, /^error: git:\/\/example\.com\/site\.git @ HEAD: unsupported URL scheme git:\/\/.* \[InvalidRepoUrl\]$/m);
});

test('the built CLI: validate --repo root@127.0.0.1:/path on port 22, as git@github.com:org/site.git is written (a network namespace of its own)', async (t) => {
  const netServer = await startGitSshServerInNetns();
  t.teardown(() => netServer.stop());
  const s = site();
  const state = stateDir(netServer);
  // The built CLI (bin/underlay.js runs dist/) inside the namespace, where 127.0.0.1:22 is this server and nothing else.
  const args = ['netns', 'exec', netServer.netns, process.execPath, path.join(root, 'bin/underlay.js'), 'validate', '--repo', `root@127.0.0.1:${s.bare}`, '--state-dir', state];
  const { stdout } = await run('ip', args, { cwd: root, env: { ...process.env, XDG_CACHE_HOME: path.join(work, 'cache') } });
  t.regex(stdout, new RegExp(`^Valid: revision ${s.commit}`));
  t.deepEqual(netServer.commands(), [`git-upload-pack '${s.bare}'`, `git-upload-pack '${s.bare}'`]);
});
