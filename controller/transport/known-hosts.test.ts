import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostKeys, parseKnownHosts } from './known-hosts.js';
import { makeKeyPair, tempDir } from '../../test/support/sshd.js';

const run = promisify(execFile);

interface Fixture {
  dir: string;
  keys: string[];
  /** Every line form: plain, [host]:port, patterns with negation, @revoked, @cert-authority, comments. */
  lines: string[];
}

async function fixture(): Promise<Fixture> {
  const dir = await tempDir('underlay-known-hosts-');
  const keys = await Promise.all(['a', 'b', 'c', 'd'].map(async (n) => (await makeKeyPair(dir, n)).publicKey.split(' ').slice(0, 2).join(' ')));
  const [a, b, c, d] = keys as [string, string, string, string];
  const lines = [
    '# Git servers the controller fetches from',
    `git.example.com,10.0.0.7 ${a} a comment`,
    `[git.example.com]:2222 ${b}`,
    `*.example.org,!bad.example.org ${c}`,
    `git?.example.net ${d}`,
    '',
    `@revoked * ${c}`,
    `@cert-authority *.ca.test ${a}`,
  ];
  return { dir, keys, lines };
}

/** ssh-keygen -F reports every line that applies to a name: "# Host NAME found: line N [REVOKED|CA]". */
async function sshKeygenFinds(file: string, name: string): Promise<string[]> {
  const { stdout } = await run('ssh-keygen', ['-F', name, '-f', file]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return [...stdout.matchAll(/^# Host .* found: line (\d+) ?(\w*)$/gm)].map((m) => `${m[1]} ${m[2]}`.trim()).sort();
}

const NAMES: [string, number][] = [
  ['git.example.com', 22],
  ['GIT.Example.com', 22],
  ['10.0.0.7', 22],
  ['git.example.com', 2222],
  ['git.example.com', 2200],
  ['x.example.org', 22],
  ['bad.example.org', 22],
  ['git1.example.net', 22],
  ['git12.example.net', 22],
  ['y.ca.test', 22],
  ['unknown.test', 22],
];

for (const hashed of [false, true]) {
  test(`lookups agree with ssh-keygen -F${hashed ? ' on a file hashed by ssh-keygen -H' : ''}`, async (t) => {
    const f = await fixture();
    const file = join(f.dir, 'known_hosts');
    await writeFile(file, f.lines.join('\n') + '\n');
    if (hashed) await run('ssh-keygen', ['-H', '-f', file]);
    const text = await readFile(file, 'utf8');
    if (hashed) t.regex(text, /^\|1\|/m, 'ssh-keygen hashed the plain names');
    const known = parseKnownHosts(text, file);
    t.deepEqual(known.unreadable, []);
    for (const [host, port] of NAMES) {
      const found = hostKeys(known, host, port);
      const ours = [
        ...found.pinned.map((e) => `${e.line}`),
        ...found.revoked.map((e) => `${e.line} REVOKED`),
        ...found.certAuthorities.map((e) => `${e.line} CA`),
      ].sort();
      // ssh lower-cases the host name before it looks it up (ssh-keygen -F does not, which shows with hashed names).
      const name = host.toLowerCase();
      t.deepEqual(ours, await sshKeygenFinds(file, port === 22 ? name : `[${name}]:${port}`), `${host} port ${port}`);
    }
  });
}

test('the keys found are the ones on those lines', async (t) => {
  const f = await fixture();
  const known = parseKnownHosts(f.lines.join('\n'), 'known_hosts');
  const found = hostKeys(known, 'x.example.org', 22);
  t.is(found.name, 'x.example.org');
  t.deepEqual(found.pinned.map((e) => e.key.blob.toString('base64')), [f.keys[2]!.split(' ')[1]]);
  t.deepEqual(found.revoked.map((e) => e.key.blob.toString('base64')), [f.keys[2]!.split(' ')[1]]);
  t.is(hostKeys(known, 'git.example.com', 2222).name, '[git.example.com]:2222');
  t.is(known.entries[0]!.key.comment, 'a comment');
});

test('lines that are not entries are reported with their line numbers, and the rest still reads', async (t) => {
  const f = await fixture();
  const text = [`host.test ${f.keys[0]}`, 'just garbage', `@weird host.test ${f.keys[1]}`, `host.test ssh-ed25519`, `host.test 10.0.0.1 ${f.keys[1]}`].join('\n');
  const known = parseKnownHosts(text, 'kh');
  t.deepEqual(
    known.unreadable.map((u) => u.line),
    [2, 3, 4, 5],
  );
  t.regex(known.unreadable[1]!.reason, /unknown marker @weird/);
  t.regex(known.unreadable[3]!.reason, /key type right after the host names/);
  t.is(hostKeys(known, 'host.test', 22).pinned.length, 1);
});
