/**
 * Git over SSH against a server that behaves like a hosting service (git-shell: `git-upload-pack '<path>'`
 * and nothing else), with host keys pinned by known_hosts and the key given by the caller.
 */
import test from 'ava';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { makeKeyPair } from '../../test/support/sshd.js';
import { fingerprint, parseHostKey } from '../transport/host-key.js';
import { startGitSshServer, type GitSshServer } from '../../test/support/git-ssh-server.js';
import { readRevision, SourceError, type GitSshSettings } from './git-source.js';
import { connectGitServer } from './git-server-connection.js';
import { cachePathFor, syncRemote } from './remote-cache.js';
import { sshRemote } from './ssh-remote.js';
import { commitAll, git, makeRepo, removeTempDirs, tempDir, writeFiles } from '../../test/support/git-repo.js';
import { defaultFs } from './source-fs.js';
import { gitQuote, UPLOAD_PACK_URL, UploadPackFailed, uploadPackHttp } from './upload-pack-over-ssh.js';

test.after.always(removeTempDirs);

interface Served {
  server: GitSshServer;
  work: string;
  bare: string;
  url: string;
  first: string;
  ssh: GitSshSettings;
  knownHosts: string;
}

async function served(files: Record<string, string> = { 'site.yaml': 'v: 1\n' }): Promise<Served> {
  const server = await startGitSshServer();
  const { dir: work, commit: first } = makeRepo(files);
  const root = tempDir('underlay-served-');
  const bare = path.join(root, 'site.git');
  git(root, 'clone', '-q', '--bare', work, bare);
  const knownHosts = path.join(root, 'known_hosts');
  await writeFile(knownHosts, `${server.knownHostsLine}\n`);
  const ssh: GitSshSettings = { knownHostsFile: knownHosts, privateKey: () => readFile(server.client.privateKeyPath) };
  return { server, work, bare, url: server.url(bare), first, ssh, knownHosts };
}

function push(s: Served, ...refs: string[]): void {
  git(s.work, 'push', '-q', s.bare, ...refs);
}

function packs(gitdir: string): string[] {
  return readdirSync(path.join(gitdir, 'objects/pack')).filter((f) => f.endsWith('.pack'));
}

/** One per TCP connection sshd accepted, whether or not anyone logged in. */
const connections = (s: Served): number => s.server.log().match(/Connection from 127\.0\.0\.1/g)?.length ?? 0;
const acceptedLogins = (s: Served): number => s.server.log().match(/Accepted publickey for /g)?.length ?? 0;

test('clone over SSH through git-shell, then fetch incrementally; branches, tags and commit ids resolve', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const cacheDir = tempDir('underlay-cache-');
  const rev1 = await readRevision({ repo: s.url, cacheDir, ssh: s.ssh });
  t.is(rev1.commit, s.first);
  t.is(rev1.source, s.url);
  t.deepEqual(
    rev1.files.map((f) => [f.path, Buffer.from(f.content).toString()]),
    [['site.yaml', 'v: 1\n']],
  );
  // Exactly what hosting services accept, once for the advertisement and once for the pack.
  t.deepEqual(s.server.commands(), [`git-upload-pack '${s.bare}'`, `git-upload-pack '${s.bare}'`]);
  const gitdir = cachePathFor(cacheDir, sshRemote({ repo: s.url, ref: undefined, remote: { user: 'root', host: '127.0.0.1', port: s.server.port, path: s.bare, scpLike: false }, settings: s.ssh, fs: defaultFs }).id);
  t.is(packs(gitdir).length, 1);
  writeFileSync(path.join(gitdir, 'underlay-test-marker'), '');

  // An annotated tag on a commit no branch points at any more: upload-pack over SSH refuses its peeled commit as a want.
  git(s.work, 'tag', '-a', 'first-ann', '-m', 'first', s.first);
  git(s.work, 'checkout', '-q', '-b', 'feature', s.first);
  writeFiles(s.work, { 'feature.yaml': 'f: 1\n' });
  const feature = commitAll(s.work, 'feature');
  git(s.work, 'checkout', '-q', 'main');
  writeFiles(s.work, { 'site.yaml': 'v: 2\n', 'new/host.yaml': 'h: 1\n' });
  const second = commitAll(s.work, 'second');
  git(s.work, 'tag', 'release-1');
  push(s, 'main', 'feature', 'release-1', 'first-ann');

  const rev2 = await readRevision({ repo: s.url, cacheDir, ssh: s.ssh });
  t.is(rev2.commit, second);
  t.true(existsSync(path.join(gitdir, 'underlay-test-marker')), 'the cache was reused, not cloned again');
  t.is(packs(gitdir).length, 2, 'the fetch added one pack');
  t.deepEqual(
    rev2.files.map((f) => f.path),
    ['new/host.yaml', 'site.yaml'],
  );
  t.is((await readRevision({ repo: s.url, ref: 'release-1', cacheDir, ssh: s.ssh })).commit, second);
  t.is((await readRevision({ repo: s.url, ref: 'first-ann', cacheDir, ssh: s.ssh })).commit, s.first);
  t.is((await readRevision({ repo: s.url, ref: 'feature', cacheDir, ssh: s.ssh })).commit, feature);
  t.is((await readRevision({ repo: s.url, ref: second.slice(0, 8), cacheDir, ssh: s.ssh })).commit, second);

  const before = s.server.commands().length;
  t.is((await readRevision({ repo: s.url, ref: s.first, cacheDir, ssh: s.ssh })).commit, s.first);
  t.is(s.server.commands().length, before, 'a full commit id already in the cache needs no fetch');
});

test('scp-like user@host:path reaches the same repository and cache, with any path git can quote', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const odd = path.join(path.dirname(s.bare), "it's here!.git");
  git(path.dirname(s.bare), 'clone', '-q', '--bare', s.work, odd);
  const cacheDir = tempDir('underlay-cache-');
  const scp = `[root@127.0.0.1:${s.server.port}]:${odd}`;
  t.is((await readRevision({ repo: scp, cacheDir, ssh: s.ssh })).commit, s.first);
  t.is(s.server.commands()[0], `git-upload-pack ${gitQuote(odd)}`);
  t.is(gitQuote(odd), `'${path.dirname(s.bare)}/it'\\''s here'\\!'.git'`, 'quoted as git quotes it');
  const viaUrl = s.server.url(encodeURI(odd).replace(/'/g, '%27'));
  t.is((await readRevision({ repo: viaUrl, cacheDir, ssh: s.ssh })).commit, s.first);
  t.is(readdirSync(cacheDir).length, 1, 'one repository, one cache, however it is written');
});

test('the test server is as strict as a hosting service: --stateless-rpc and other commands are refused', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const conn = await connectGitServer({
    host: '127.0.0.1',
    port: s.server.port,
    user: 'root',
    pinned: [parseHostKey(s.server.hostKey)],
    revoked: [],
    privateKey: await readFile(s.server.client.privateKeyPath),
    timeoutMs: 10_000,
  });
  t.teardown(() => conn.close());
  for (const command of [`git-upload-pack --stateless-rpc --advertise-refs '${s.bare}'`, `'git-upload-pack' '${s.bare}'`, 'cat /etc/passwd']) {
    const { channel, ended } = await conn.exec(command);
    const out: Buffer[] = [];
    channel.on('data', (d: Buffer) => out.push(d));
    const end = await ended;
    t.is(end.exit, 128, command);
    t.regex(end.stderr, /^fatal: (bad argument|unrecognized command)/, command);
    t.is(Buffer.concat(out).length, 0, command);
  }
});

test('a command that fails at once is seen to, though its exit status comes in one read with the channel\'s confirmation', async (t) => {
  t.timeout(60_000, 'a lost close leaves a reply waiting for ever');
  const s = await served();
  t.teardown(() => s.server.stop());
  const proxy = await coalescingProxy(s.server.port);
  t.teardown(() => proxy.close());
  const conn = await connectGitServer({
    host: '127.0.0.1',
    port: proxy.port,
    user: 'root',
    pinned: [parseHostKey(s.server.hostKey)],
    revoked: [],
    privateKey: await readFile(s.server.client.privateKeyPath),
    timeoutMs: 20_000,
  });
  t.teardown(() => conn.close());
  const http = uploadPackHttp(conn.exec, '/nowhere.git');
  for (let i = 0; i < 3; i++) {
    const err = await t.throwsAsync(http.request({ method: 'GET', url: `${UPLOAD_PACK_URL}/info/refs?service=git-upload-pack` }), { instanceOf: UploadPackFailed });
    t.is(err?.code, 'RepoNotFound');
    t.regex(err?.message ?? '', /exited with 128: fatal: '\/nowhere\.git' does not appear to be a git repository/);
  }
});

/**
 * A TCP proxy to sshd that holds what the server sends for 200 ms before passing it on in one write, as a
 * busy client reads it: the exec request's confirmation, git-shell's stderr, the exit status and the
 * close then reach ssh2 in one read.
 */
async function coalescingProxy(port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const sock of [client, upstream]) {
      sockets.add(sock);
      sock.on('error', () => undefined);
      sock.on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream);
    let held: Buffer[] = [];
    upstream.on('data', (d: Buffer) => {
      if (held.length === 0) {
        setTimeout(() => {
          client.write(Buffer.concat(held));
          held = [];
        }, 200);
      }
      held.push(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
}

test('a host not in known_hosts is refused without connecting, naming the host and the file', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const other = await makeKeyPair(tempDir(), 'other-host');
  await writeFile(s.knownHosts, `[127.0.0.1]:1 ${other.publicKey}\ngit.example.com ${other.publicKey}\n`);
  const before = connections(s);
  const err = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir(), ssh: s.ssh }), { instanceOf: SourceError });
  t.is(err?.code, 'HostKeyUnknown');
  t.true(err?.message.includes(`Git server [127.0.0.1]:${s.server.port} has no key in ${s.knownHosts}`), err?.message);
  t.is(connections(s), before, 'never trusted on first use: not even contacted');

  await rm(s.knownHosts);
  const noFile = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir(), ssh: s.ssh }), { instanceOf: SourceError });
  t.is(noFile?.code, 'HostKeyUnknown');
  t.true(noFile?.message.includes(`cannot read known_hosts ${s.knownHosts}: no such file`), noFile?.message);
  t.is(connections(s), before);

  await writeFile(s.knownHosts, '');
  const scp = await t.throwsAsync(readRevision({ repo: 'odd:name', cacheDir: tempDir(), ssh: s.ssh }), { instanceOf: SourceError });
  t.is(scp?.code, 'HostKeyUnknown');
  t.regex(scp?.message ?? '', /write \.\/odd:name for a local path/);
});

test('a server presenting another key is refused before authentication, naming both fingerprints', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const other = await makeKeyPair(tempDir(), 'impostor');
  await writeFile(s.knownHosts, `[127.0.0.1]:${s.server.port} ${other.publicKey}\n`);
  const err = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir(), ssh: s.ssh }), { instanceOf: SourceError });
  t.is(err?.code, 'HostKeyMismatch');
  t.true(err?.message.includes(fingerprint(parseHostKey(other.publicKey).blob)), 'names the pinned key');
  t.true(err?.message.includes(fingerprint(parseHostKey(s.server.hostKey).blob)), 'names the presented key');
  t.regex(err?.message ?? '', /refused before authentication/);
  t.is(acceptedLogins(s), 0);
  t.deepEqual(s.server.commands(), []);
});

test('a key pinned and also @revoked is refused', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  await writeFile(s.knownHosts, `${s.server.knownHostsLine}\n@revoked * ${s.server.hostKey}\n`);
  const err = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir(), ssh: s.ssh }), { instanceOf: SourceError });
  t.is(err?.code, 'HostKeyRevoked');
  t.regex(err?.message ?? '', /marks @revoked \(line 2\)/);
  t.is(acceptedLogins(s), 0);
});

test('several keys pinned for a server: the one it has is offered and accepted', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const rsa = await makeKeyPair(tempDir(), 'rsa-host', 'rsa');
  await writeFile(s.knownHosts, `[127.0.0.1]:${s.server.port} ${rsa.publicKey}\n${s.server.knownHostsLine}\n`);
  t.is((await readRevision({ repo: s.url, cacheDir: tempDir(), ssh: s.ssh })).commit, s.first);
});

test('missing, unusable and refused credentials each say so', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const before = connections(s);
  const missing = await t.throwsAsync(
    readRevision({ repo: s.url, cacheDir: tempDir(), ssh: { ...s.ssh, privateKey: () => Promise.reject(new Error('secret git-ssh-key: no file /x/git-ssh-key')) } }),
    { instanceOf: SourceError },
  );
  t.is(missing?.code, 'CredentialsMissing');
  t.regex(missing?.message ?? '', /the SSH key for Git servers: secret git-ssh-key: no file/);
  t.is(connections(s), before, 'the key is looked for before connecting');

  const none = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir() }), { instanceOf: SourceError });
  t.is(none?.code, 'CredentialsMissing');

  const garbage = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir(), ssh: { ...s.ssh, privateKey: () => Promise.resolve(Buffer.from('not a key')) } }), {
    instanceOf: SourceError,
  });
  t.is(garbage?.code, 'CredentialsInvalid');

  const stranger = await makeKeyPair(tempDir(), 'stranger');
  const refused = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir(), ssh: { ...s.ssh, privateKey: () => readFile(stranger.privateKeyPath) } }), {
    instanceOf: SourceError,
  });
  t.is(refused?.code, 'AuthFailed');
  t.regex(refused?.message ?? '', /did not accept the SSH key for user root/);
});

test('a path the server does not serve is RepoNotFound with the server\'s words; nothing is left in the cache', async (t) => {
  const s = await served();
  t.teardown(() => s.server.stop());
  const cacheDir = tempDir('underlay-cache-');
  const err = await t.throwsAsync(readRevision({ repo: s.server.url('/nowhere/site.git'), cacheDir, ssh: s.ssh }), { instanceOf: SourceError });
  t.is(err?.code, 'RepoNotFound');
  t.regex(err?.message ?? '', /does not appear to be a git repository/);
  t.deepEqual(readdirSync(cacheDir), []);
});

test('an unreachable server is FetchFailed', async (t) => {
  const s = await served();
  const key = await readFile(s.server.client.privateKeyPath);
  await s.server.stop();
  const err = await t.throwsAsync(readRevision({ repo: s.url, cacheDir: tempDir(), ssh: { ...s.ssh, privateKey: () => Promise.resolve(key) } }), { instanceOf: SourceError });
  t.is(err?.code, 'FetchFailed');
  t.regex(err?.message ?? '', /cannot reach Git server/);
});

test.serial('timing: clone of 2,000 files and an incremental fetch over SSH', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 2000; i++) files[`sites/d${i % 40}/node-${i}.yaml`] = `name: node-${i}\nindex: ${i}\n${'x: y\n'.repeat(20)}`;
  const s = await served(files);
  t.teardown(() => s.server.stop());
  const cacheDir = tempDir('underlay-cache-');
  let start = performance.now();
  t.is((await readRevision({ repo: s.url, cacheDir, ssh: s.ssh })).files.length, 2000);
  const cloneMs = performance.now() - start;

  writeFiles(s.work, { 'sites/d0/node-0.yaml': 'changed\n' });
  const next = commitAll(s.work, 'change one file');
  push(s, 'main');
  start = performance.now();
  t.is((await readRevision({ repo: s.url, cacheDir, ssh: s.ssh })).commit, next);
  const readMs = performance.now() - start;

  writeFiles(s.work, { 'sites/d1/node-1.yaml': 'changed\n' });
  commitAll(s.work, 'change another file');
  push(s, 'main');
  const remote = sshRemote({ repo: s.url, ref: undefined, remote: { user: 'root', host: '127.0.0.1', port: s.server.port, path: s.bare, scpLike: false }, settings: s.ssh, fs: defaultFs });
  start = performance.now();
  await syncRemote({ fs: defaultFs, remote, cacheDir, ref: undefined });
  const fetchMs = performance.now() - start;
  t.log(
    `ssh, 2,000 files: first read (connect + clone + read) ${cloneMs.toFixed(0)} ms; read after one pushed commit ` +
      `(connect + incremental fetch + read) ${readMs.toFixed(0)} ms; incremental fetch of one commit alone ${fetchMs.toFixed(0)} ms`,
  );
});

test('an SSH URL with a password is refused, and the password is in no message', async (t) => {
  const err = await t.throwsAsync(readRevision({ repo: 'ssh://git:s3cret@example.com/site.git', cacheDir: tempDir() }), { instanceOf: SourceError });
  t.is(err?.code, 'InvalidRepoUrl');
  t.regex(err?.message ?? '', /no password/);
  t.false(err?.message.includes('s3cret'));
  t.false(err?.data.repo.includes('s3cret'));
});
