/**
 * Node identity on a real runit test host (ADR 0008, issue 7 item 1): two Node documents for one machine
 * must never prune each other's resources.
 * - The same address twice is refused by `validate`, at both documents.
 * - A host name that resolves to node1 (given by an /etc/hosts that only the CLI's private mount namespace
 *   sees), pinned with node1's second host key, passes load; `plan` sees node1's record owner on it
 *   (NodeIdentityMismatch), and `apply` finds its own lease of node1 there and refuses both names before
 *   either is touched (DuplicateNodeIdentity).
 * - A record written before records named their owner is adopted once, with a note in the plan.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseManagedRecordContent, renderManagedRecord } from '../../reconcilers/managed-record-format.js';
import { poll, sshBannerSeen } from '../hosts/exec.js';
import { underlayBin, type CliResult } from './support/e2e-site.js';
import { foreignHostKey } from './support/foreign-host-key.js';
import { onHost, runitServices, stampOf } from './support/node-checks.js';
import { useOneNodeSite } from './support/one-node-site.js';

const s = useOneNodeSite();
const ALIAS = 'node1-alias.underlay.test';
const RECORD = '/var/lib/underlay/managed.json';

const recordBytes = (): string => readFileSync(onHost(s().hosts, 'node1', RECORD), 'utf8');

const aliasNode = (address: string, hostKey: string): string => `apiVersion: underlay.dev/v1alpha1
kind: Node
metadata:
  name: node1-alias
spec:
  address: ${address}
  ssh:
    hostKey: ${hostKey}
`;

/** The real CLI in a private mount namespace whose /etc/hosts also names node1 as ${ALIAS}. */
async function underlayWithAlias(args: string[]): Promise<CliResult> {
  const site = s();
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-hosts-'));
  try {
    const hosts = path.join(dir, 'hosts');
    await writeFile(hosts, `${await readFile('/etc/hosts', 'utf8')}\n${site.hosts.hosts[0]!.address} ${ALIAS}\n`);
    const argv = [...args, '--no-color', '--repo', site.repoDir, '--state-dir', site.stateDir, '--secrets-dir', site.secretsDir];
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" /etc/hosts && shift && exec "$@"', '_', hosts, process.execPath, underlayBin, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 255)));
    clearTimeout(timer);
    return { code, stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** node1 gets a second host key (ECDSA) next to its ed25519 one, as real machines have; returns its public line. */
async function secondHostKey(): Promise<string> {
  const hosts = s().hosts;
  const made = await hosts.run(
    'node1',
    `test -f /etc/ssh/ssh_host_ecdsa_key || ssh-keygen -q -t ecdsa -N '' -C root@node1 -f /etc/ssh/ssh_host_ecdsa_key
echo 'HostKey /etc/ssh/ssh_host_ecdsa_key' > /etc/ssh/sshd_config.d/01-second-host-key.conf
sv restart /etc/service/ssh`,
  );
  if (made.code !== 0) throw new Error(`second host key: ${made.stderr}`);
  await poll('sshd back on node1', 30_000, async () => ((await sshBannerSeen(hosts.hosts[0]!.address, 22, 1000)) ? true : undefined), 100);
  return readFileSync(onHost(hosts, 'node1', '/etc/ssh/ssh_host_ecdsa_key.pub'), 'utf8').trim();
}

test.serial('validate refuses two Node documents with one address, at both', async (t) => {
  const site = s();
  const key = await foreignHostKey();
  await site.commit("a second document for node1's address, with a key of its own", (dir) =>
    writeFile(path.join(dir, 'nodes/node1-copy.yaml'), aliasNode(site.hosts.hosts[0]!.address, key).replace('node1-alias', 'node1-copy')),
  );
  const validate = await site.underlay(['validate']);
  t.is(validate.code, 1, validate.stdout);
  const output = validate.stdout + validate.stderr;
  t.regex(output, /nodes\/node1\.yaml:\d+:\d+: error: spec\.address: node "node1-copy" \(nodes\/node1-copy\.yaml\) has the same address, SSH port and bastion .*\[DuplicateNodeAddress\]/);
  t.regex(output, /nodes\/node1-copy\.yaml:\d+:\d+: error: spec\.address: node "node1" \(nodes\/node1\.yaml\) has the same address.*\[DuplicateNodeAddress\]/);
  const apply = await site.underlay(['apply', '--no-color']);
  t.is(apply.code, 1);
  t.regex(apply.stderr, /DuplicateNodeAddress/);
  await site.commit('back to one document', (dir) => rm(path.join(dir, 'nodes/node1-copy.yaml')));
});

test.serial('a record from before owners is adopted once, with a note in the plan', async (t) => {
  const site = s();
  const first = await site.underlay(['apply', '--no-color']);
  t.is(first.code, 0, `${first.stdout}\n${first.stderr}`);
  const owned = parseManagedRecordContent(recordBytes());
  t.deepEqual(owned.owner, { site: 'lab', node: 'node1' });

  // What an older underlay left on the node: the same entries, format version 1, no owner.
  await writeFile(onHost(site.hosts, 'node1', RECORD), renderManagedRecord(owned.resources));
  const plan = await site.underlay(['plan', '--no-color']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /Warning: node node1: ManagedRecordAdopted: \/var\/lib\/underlay\/managed\.json names no owner \(written before underlay recorded one\); this apply adopts it as node node1 of site lab/);
  const adopt = await site.underlay(['apply', '--no-color']);
  t.is(adopt.code, 0, `${adopt.stdout}\n${adopt.stderr}`);
  t.deepEqual(parseManagedRecordContent(recordBytes()), owned, 'the same entries, now with their owner');
  const quiet = await site.underlay(['plan', '--no-color', '--detailed-exitcode']);
  t.is(quiet.code, 0, quiet.stdout);
  t.notRegex(quiet.stdout, /ManagedRecordAdopted/);
});

test.serial('a host name alias of node1 is refused before apply touches either name; plan sees the owner', async (t) => {
  const site = s();
  const converged = await site.underlay(['apply', '--no-color']);
  t.is(converged.code, 0, `${converged.stdout}\n${converged.stderr}`);
  const record = recordBytes();
  const motd = stampOf(site.hosts, 'node1', '/etc/motd');
  const ecdsa = await secondHostKey();
  const services = await runitServices(site.hosts, 'node1');
  // A document in no cluster: were it planned, it would prune everything node1's record lists.
  await site.commit('node1 again, under a host name and its other host key', (dir) => writeFile(path.join(dir, 'nodes/node1-alias.yaml'), aliasNode(ALIAS, ecdsa)));
  t.is((await site.underlay(['validate'])).code, 0, 'nothing in the documents says they are one machine');

  const plan = await underlayWithAlias(['plan']);
  t.is(plan.code, 1, `${plan.stdout}\n${plan.stderr}`);
  t.regex(plan.stdout, /Warning: node node1-alias: NodeIdentityMismatch: the machine reached as node node1-alias of site lab is node node1 of this site/);
  t.notRegex(plan.stdout, /node1-alias\n {2}- delete/, 'nothing of node1 is planned for deletion through its alias');

  const apply = await underlayWithAlias(['apply']);
  const output = `${apply.stdout}\n${apply.stderr}`;
  t.is(apply.code, 1, output);
  t.regex(apply.stderr, /error: nodes node1 and node1-alias reach the same machine.* \[DuplicateNodeIdentity\]$/m);
  t.regex(apply.stderr, /error: nodes node1-alias and node1 reach the same machine.* \[DuplicateNodeIdentity\]$/m);
  t.regex(apply.stdout, /not converged: node1: nodes node1 and node1-alias reach the same machine.* \[DuplicateNodeIdentity\]$/m);
  t.regex(apply.stdout, /not converged: node1-alias: nodes node1-alias and node1 reach the same machine.* \[DuplicateNodeIdentity\]$/m);
  t.notRegex(apply.stdout, /applied\s/, 'no change was made');
  t.is(recordBytes(), record, 'node1\'s record is untouched');
  t.deepEqual(stampOf(site.hosts, 'node1', '/etc/motd'), motd, 'its files too');
  t.deepEqual(await runitServices(site.hosts, 'node1'), services, 'and its services');

  await site.commit('one document for node1', (dir) => rm(path.join(dir, 'nodes/node1-alias.yaml')));
  const again = await site.underlay(['apply', '--no-color', '--detailed-exitcode']);
  t.is(again.code, 0, `${again.stdout}\n${again.stderr}`);
});
