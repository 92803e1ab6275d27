/**
 * Trust comes only from the host key pinned in Git: a node whose pinned key is another machine's is refused
 * before authentication (nothing reaches it, the run fails naming it and both fingerprints) while the
 * others converge; `underlay nodes keyscan` shows the key the node really offers. (Another node's key of the
 * same site never gets this far: load refuses one key pinned on two nodes as DuplicateHostKey.)
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { runCli, useE2ESite } from './support/e2e-site.js';
import { foreignHostKey } from './support/foreign-host-key.js';
import { allRunitServices, managedRecord, onHost, ssh } from './support/node-checks.js';

const exec = promisify(execFile);
const s = useE2ESite({ count: 3 });

/** `ssh-keygen -l` of a public key line: the fingerprint an operator compares (SHA256:...). */
async function fingerprintOf(key: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-fp-'));
  try {
    await writeFile(path.join(dir, 'key.pub'), `${key}\n`);
    const { stdout } = await exec('ssh-keygen', ['-lf', path.join(dir, 'key.pub')]);
    return stdout.split(' ')[1]!;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// sshd's own log on the node (runit's svlogd): written by sshd, not by anything underlay sends.
const SSHD_LOG = '/var/log/runit/ssh';

/** Every path in a node's upper dir with its mtime, except sshd's log, which records even refused connections. */
function upperTree(name: string): Map<string, number> {
  const root = onHost(s().hosts, name, '/');
  const seen = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      const rel = '/' + path.relative(root, full);
      if (rel === SSHD_LOG || rel.startsWith(`${SSHD_LOG}/`)) continue;
      const st = lstatSync(full);
      seen.set(rel, st.mtimeMs);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(root);
  return seen;
}

function sshdLog(name: string): string {
  const file = onHost(s().hosts, name, `${SSHD_LOG}/current`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

test.serial('a node pinned to another machine\'s key is refused, untouched, and the others converge', async (t) => {
  const [, , node3] = s().hosts.hosts;
  const wrongKey = await foreignHostKey();
  await s().commit('node3: pin the wrong key', async (dir) => {
    const file = path.join(dir, 'nodes/node3.yaml');
    const doc = parseDocument(await readFile(file, 'utf8'));
    doc.setIn(['spec', 'ssh', 'hostKey'], wrongKey);
    await writeFile(file, doc.toString({ lineWidth: 0 }));
  });
  const treeBefore = upperTree('node3');
  const logBefore = sshdLog('node3');

  const apply = await s().underlay(['apply', '--no-color']);
  const out = apply.stdout + apply.stderr;
  t.not(apply.code, 0, out);
  const expected = await fingerprintOf(wrongKey);
  const presented = await fingerprintOf(node3!.hostKey);
  t.not(expected, presented);
  const refusal = out.split('\n').find((l) => l.includes('node3') && /host key mismatch/.test(l));
  t.truthy(refusal, out);
  t.true(refusal!.includes(expected), `names the pinned fingerprint ${expected}: ${refusal}`);
  t.true(refusal!.includes(presented), `names the presented fingerprint ${presented}: ${refusal}`);

  // Nothing was sent to node3: no file appeared or changed on its disk...
  t.deepEqual(upperTree('node3'), treeBefore);
  t.deepEqual(managedRecord(s().hosts, 'node3'), {});
  // ...and sshd never got as far as authentication. node1's log proves the check sees logins at all.
  const newLog = sshdLog('node3').slice(logBefore.length);
  t.notRegex(newLog, /Accepted|authenticating user|Failed|publickey/, newLog);
  t.regex(sshdLog('node1'), /Accepted publickey for root/);

  for (const n of ['node1', 'node2']) {
    t.true(Object.keys(managedRecord(s().hosts, n)).includes('service:etcd'), `${n} converged`);
    t.is(readFileSync(onHost(s().hosts, n, '/etc/motd'), 'utf8').split('\n')[0], `${n} (${s().hosts.hosts.find((h) => h.name === n)!.address}) in cluster etcd`);
  }
  const services = await allRunitServices(s().hosts);
  t.regex(services.node1?.haproxy ?? '', /^\d+$/);
  t.is(services.node3?.etcd, undefined, 'no etcd on the refused node');

  const status = await s().underlay(['status']);
  t.not(status.code, 0, status.stdout);
  t.regex(status.stdout, /node3/);

  // The right key, committed, lets the run finish node3.
  await s().repin('node3: pin its real key');
  const fixed = await s().underlay(['apply', '--no-color']);
  t.is(fixed.code, 0, `${fixed.stdout}\n${fixed.stderr}`);
  t.true(Object.keys(managedRecord(s().hosts, 'node3')).includes('service:etcd'));
  t.is(await ssh(s().hosts, 'node3', 'head -n1 /etc/motd'), `node3 (${node3!.address}) in cluster etcd\n`);
});

test.serial('nodes keyscan prints the key the node really offers', async (t) => {
  for (const h of s().hosts.hosts) {
    const r = await runCli(['nodes', 'keyscan', h.address]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), h.hostKey);
    t.true(r.stderr.includes(await fingerprintOf(h.hostKey)), r.stderr);
  }
});
