import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseRepoLocation, type SshRemote } from './repo-location.js';
import { git, removeTempDirs, tempDir } from '../../test/support/git-repo.js';

test.after.always(removeTempDirs);

const run = promisify(execFile);
const diagRepo = tempDir();
git(diagRepo, 'init', '-q');

/** How git itself reads a URL: `git fetch-pack --diag-url` prints the protocol, user and host, port and path. */
async function gitReads(url: string): Promise<Record<string, string>> {
  const { stdout } = await run('git', ['fetch-pack', '--diag-url', url], { cwd: diagRepo });
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => l.startsWith('Diag: '))
      .map((l) => {
        const [key, ...value] = l.slice('Diag: '.length).split('=');
        return [key!, value.join('=')];
      }),
  );
}

function ssh(repo: string): SshRemote {
  const location = parseRepoLocation(repo);
  if (location.kind !== 'ssh') throw new Error(`${repo}: ${JSON.stringify(location)}`);
  return location.remote;
}

const SSH = [
  'ssh://git@host:2222/path/repo.git',
  'ssh://host/~user/repo',
  'ssh://git@github.com/org/site.git',
  'git@github.com:org/site.git',
  'host:repo',
  'odd:name',
  'user@host:/abs/path',
  'git@host:~/x',
  '[git@127.0.0.1:2222]:repo',
  '[host:22]:x',
  '[git@host]:repo',
  'git@[::1]:repo',
  '[::1]:repo',
  'git+ssh://h/x',
  'ssh+git://h/x',
  'ssh://[::1]:22/x',
  'ssh://git@[host]:2222/x',
  'ssh://[git@host:2222]/x',
  'ssh://h:/x',
  'ssh://h:022/x',
  'ssh://h/a%20b',
  'ssh://h/a%2Fb',
  'ssh://h%3A22/x',
  'ssh://h/x?y#z',
  "git@h:it's",
  'git@h:2222:x',
  'host:a~b',
  'ssh://u@h@i/x',
];

for (const url of SSH) {
  test(`${url} is the SSH remote git reads`, async (t) => {
    const diag = await gitReads(url);
    t.is(diag.protocol, 'ssh');
    const remote = ssh(url);
    const userAndHost = diag.userandhost ?? '';
    const at = userAndHost.lastIndexOf('@');
    t.is(remote.user, at === -1 ? undefined : userAndHost.slice(0, at));
    t.is(remote.host, userAndHost.slice(at + 1).toLowerCase());
    t.is(remote.port, diag.port === 'NONE' ? 22 : Number(diag.port));
    t.is(remote.path, diag.path ?? '');
    t.is(remote.scpLike, !url.includes('://'));
  });
}

for (const path of ['./odd:name', 'a/b:c', '/srv/x:y', 'plain', '../up', '']) {
  test(`${JSON.stringify(path)} is a local path, as for git`, async (t) => {
    t.deepEqual(parseRepoLocation(path), { kind: 'local', path });
    if (path !== '') t.is((await gitReads(path)).protocol, 'file');
  });
}

test('http(s) URLs are http, in any case', (t) => {
  t.deepEqual(parseRepoLocation('https://example.com/site.git'), { kind: 'http', url: 'https://example.com/site.git' });
  t.deepEqual(parseRepoLocation('HTTP://example.com/site.git'), { kind: 'http', url: 'HTTP://example.com/site.git' });
});

test('the host is lower-cased, as ssh does before looking it up in known_hosts', (t) => {
  t.is(ssh('git@GitHub.COM:org/site.git').host, 'github.com');
  t.is(ssh('GIT@h:x').user, 'GIT');
});

const REFUSED: [string, RegExp][] = [
  ['ssh://git@host', /no path/],
  ['ssh://user@h:2222', /no path/],
  ['host:', /no path/],
  ['ssh:///x', /no host/],
  [':x', /no host/],
  ['u@:x', /no host/],
  ['@h:x', /not a user name/],
  ['ssh://h:99999/x', /port/],
  ['ssh://h:0/x', /port/],
  ['ssh://h:abc/x', /port/],
  ['ssh://h:-1/x', /port/],
  ['[h:99999]:x', /port/],
  ['ssh://[h:22]:33/x', /two ports/],
  ['ssh://-oProxyCommand=x/y', /not a host name/],
  ['-oProxyCommand=x:y', /not a host name/],
  ['h:-x', /option/],
  ['ssh://user:secret@h/x', /no password/],
  ['[h]x:y', /expected ':'/],
  ['[h:y', /not a host name/],
  ['ssh://[h/x', /not a host name/],
  ['ssh://h/a%0ab', /control characters/],
  ['ftp://h/x', /unsupported URL scheme ftp:\/\//],
  ['git://h/x', /unsupported URL scheme git:\/\//],
  ['file:///srv/site.git', /unsupported URL scheme file:\/\//],
];

for (const [url, reason] of REFUSED) {
  test(`${url} is refused`, (t) => {
    const location = parseRepoLocation(url);
    t.is(location.kind, 'invalid');
    if (location.kind === 'invalid') t.regex(location.reason, reason);
  });
}
