/**
 * Certificates from node-held keys on a real runit test host, through the real CLI: `underlay pki init`
 * makes the CA (key into the secret store, certificate into the site), `underlay apply` has the node make its
 * key and CSR with its own openssl and installs what the CA signed; openssl checks the result. Then a re-plan
 * is empty, a SAN change reissues (and restarts the service that uses the certificate), a CSR tampered on
 * the node is refused with nothing signed, and a SIGKILL between signing and installing loses no serial.
 * The private key never reaches the controller: not in the journal, the plan, the inventory or the output.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { steppingClock } from '../../controller/clock.js';
import { SqliteStore, stateDatabaseFile } from '../../controller/store/sqlite-store.js';
import { runCli } from './support/e2e-site.js';
import { onHost, ssh } from './support/node-checks.js';
import { applyKilled, useOneNodeSite } from './support/one-node-site.js';
import { planChanges, planLive } from './support/plan-live.js';

const CERTIFICATE = (dnsNames: string) => [
  '    - directory: {path: /etc/ul-pki}',
  '    - certificate:',
  '        name: peer',
  '        ca: site-ca',
  '        commonName: "{{ node.name }}"',
  `        dnsNames: ${dnsNames}`,
  '        ipAddresses: ["{{ node.address }}"]',
  '        usages: [peer]',
  '        keyPath: /etc/ul-pki/peer.key',
  '        certPath: /etc/ul-pki/peer.crt',
  '        caBundlePath: /etc/ul-pki/ca.crt',
  '    - service:',
  '        name: ul-tls',
  '        command: /bin/sleep',
  '        args: ["100000"]',
  '        restartOnChangeOf: ["certificate:peer"]',
];

const site = useOneNodeSite(CERTIFICATE('[]'));
const NODE = 'node1';
const file = (p: string): string => onHost(site().hosts, NODE, p);
const openssl = (args: string[], input?: string): string => execFileSync('openssl', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });

interface IssuedRow {
  serial: string;
  installedAt: string | null;
  revokedAt: string | null;
}
async function issued(): Promise<IssuedRow[]> {
  const store = SqliteStore.open({ file: stateDatabaseFile(site().stateDir), site: 'lab', clock: steppingClock() });
  try {
    return await store.issuedCertificates().issued();
  } finally {
    await store.close();
  }
}
const serialOnNode = (): string => openssl(['x509', '-noout', '-serial', '-in', file('/etc/ul-pki/peer.crt')]).trim().replace(/^serial=/, '').toLowerCase();
const servicePid = async (): Promise<string> => (await ssh(site().hosts, NODE, 'sv status /etc/service/ul-tls')).replace(/^.*\(pid (\d+)\).*$/s, '$1');

async function withDnsNames(dnsNames: string): Promise<void> {
  await site().commit(`certificate dnsNames ${dnsNames}`, async (dir) => {
    const base = path.join(dir, 'modules/base.yaml');
    const text = await readFile(base, 'utf8');
    await writeFile(base, text.replace(/ {8}dnsNames: .*/, `        dnsNames: ${dnsNames}`));
  });
}

test.serial('the CA is made with pki init; apply issues from a key made on the node; openssl verifies it all', async (t) => {
  const s = site();
  await s.commit('the site CA, made here', async (dir) => {
    await rm(path.join(dir, 'ca/site-ca.pem'));
    const init = await runCli(['pki', 'init', '--ca', 'site-ca', '--key-secret', 'site-ca-key', '--secrets-dir', s.secretsDir, '--out', path.join(dir, 'ca/site-ca.pem')]);
    if (init.code !== 0) throw new Error(init.stderr);
  });
  const applied = await s.underlay(['apply', '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.regex(applied.stdout, /certificate:peer/);

  const ca = path.join(s.repoDir, 'ca/site-ca.pem');
  t.is(readFileSync(file('/etc/ul-pki/ca.crt'), 'utf8'), readFileSync(ca, 'utf8'), 'the CA bundle is installed with the certificate');
  t.regex(openssl(['verify', '-CAfile', ca, file('/etc/ul-pki/peer.crt')]), /: OK/);
  const text = openssl(['x509', '-noout', '-text', '-in', file('/etc/ul-pki/peer.crt')]);
  const address = s.hosts.hosts[0]!.address;
  t.regex(text, new RegExp(`Subject: CN ?= ?${NODE}`));
  t.regex(text, new RegExp(`IP Address:${address.replaceAll('.', '\\.')}`));
  t.regex(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  t.regex(text, /Public-Key: \(256 bit\)/);
  t.regex(text, /CA:FALSE/);
  t.is(statSync(file('/etc/ul-pki/peer.key')).mode & 0o777, 0o600);
  // A CSR from the node's key (its own openssl, there) verifies and names the certificate's key.
  const csr = await ssh(s.hosts, NODE, 'openssl x509 -x509toreq -in /etc/ul-pki/peer.crt -signkey /etc/ul-pki/peer.key 2>/dev/null');
  const verified = spawnSync('openssl', ['req', '-verify', '-noout'], { input: csr, encoding: 'utf8' });
  t.regex(verified.stderr + verified.stdout, /verify OK/);
  t.is(openssl(['req', '-noout', '-pubkey'], csr), openssl(['x509', '-noout', '-pubkey', '-in', file('/etc/ul-pki/peer.crt')]));

  const rows = await issued();
  t.is(rows.length, 1);
  t.is(rows[0]!.serial, serialOnNode(), 'the serial on the node is the one journalled');
  t.not(rows[0]!.installedAt, null);

  const plan = await planLive(s);
  t.deepEqual(planChanges(plan.stdout), [], `a re-plan is empty:\n${plan.stdout}`);
});

test.serial('the controller never holds the node\'s key: not in the journal, plan, inventory or output', async (t) => {
  const s = site();
  const key = readFileSync(file('/etc/ul-pki/peer.key'), 'utf8');
  const body = key.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('');
  t.true(body.length > 40);
  const plan = await s.underlay(['plan', '--output', 'json']);
  const inventory = await s.underlay(['inventory']);
  const database = readFileSync(stateDatabaseFile(s.stateDir));
  for (const [what, text] of [['plan', plan.stdout], ['inventory', inventory.stdout], ['state database', database.toString('latin1')]] as const) {
    t.false(text.includes('PRIVATE KEY'), what);
    t.false(text.includes(body.slice(0, 40)), what);
  }
});

test.serial('a SAN change reissues with its reason, with a new key, and restarts the service using it', async (t) => {
  const s = site();
  const pid = await servicePid();
  const keyBefore = readFileSync(file('/etc/ul-pki/peer.key'), 'utf8');
  await withDnsNames('[node1]');
  const plan = await planLive(s);
  t.regex(plan.stdout, /reissue: SAN node1 added/);
  t.true(planChanges(plan.stdout).includes(`${NODE} restart service:ul-tls`), plan.stdout);
  const applied = await s.underlay(['apply', '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.regex(openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', file('/etc/ul-pki/peer.crt')]), /DNS:node1/);
  t.not(readFileSync(file('/etc/ul-pki/peer.key'), 'utf8'), keyBefore, 'rotationPolicy Always: a new key');
  t.not(await servicePid(), pid, 'the service using the certificate was restarted');
  const rows = await issued();
  t.deepEqual(rows.map((r) => r.revokedAt === null).sort(), [false, true], 'the first certificate is revoked as superseded');
  t.deepEqual(planChanges((await planLive(s)).stdout), []);
});

test.serial('a CSR tampered on the node (a wrapper openssl adds a SAN) is refused with the reason; nothing is signed', async (t) => {
  const s = site();
  const wrapper = '#!/bin/sh\nif [ "$1" = req ]; then\n  for a; do shift; case $a in subjectAltName=*) a="$a,IP:198.18.0.250";; esac; set -- "$@" "$a"; done\nfi\nexec /usr/bin/openssl "$@"\n';
  await ssh(s.hosts, NODE, `printf '%s' '${wrapper.replaceAll("'", "'\\''")}' > /usr/local/bin/openssl && chmod 755 /usr/local/bin/openssl && command -v openssl`);
  const before = await issued();
  await withDnsNames('[]');
  const applied = await s.underlay(['apply', '--no-color']);
  await ssh(s.hosts, NODE, 'rm -f /usr/local/bin/openssl');
  t.not(applied.code, 0);
  t.regex(applied.stdout + applied.stderr, /IP address 198\.18\.0\.250 is requested but the certificate does not declare it/);
  t.regex(applied.stdout + applied.stderr, /CertificateRefused/);
  t.deepEqual(await issued(), before, 'no serial: nothing was signed');
  t.regex(openssl(['x509', '-noout', '-ext', 'subjectAltName', '-in', file('/etc/ul-pki/peer.crt')]), /DNS:node1/, 'the certificate on the node is untouched');
  // The refusal failed node1 past the budget, so the cluster's rollout of this revision is halted (ADR 0019):
  // the wrapper is gone, so the operator says node1 recovered, and the rollout can go on.
  t.regex(applied.stdout + applied.stderr, /halted/);
  const resumed = await s.underlay(['rollout', 'resume', '--cluster', 'etcd', '--recovered', NODE]);
  t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
});

test.serial('SIGKILL between signing and installing: the next apply installs a new one and revokes the lost serial', async (t) => {
  const s = site();
  const before = await issued();
  const killed = await applyKilled(s, { faultPoint: `during:${NODE}/certificate:peer` });
  t.regex(killed.reached ?? '', /certificate:peer/);
  const afterKill = await issued();
  t.is(afterKill.length, before.length + 1, 'the signed serial was journalled before the kill');
  const lost = afterKill.find((r) => !before.some((b) => b.serial === r.serial))!;
  t.is(lost.installedAt, null);
  t.not(serialOnNode(), lost.serial, 'it never reached the node');

  const applied = await s.underlay(['apply', '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  const rows = await issued();
  t.is(rows.length, before.length + 2);
  const live = rows.filter((r) => r.revokedAt === null);
  t.deepEqual(live.map((r) => r.serial), [serialOnNode()], 'one live certificate: the one on the node');
  t.not(rows.find((r) => r.serial === lost.serial)?.revokedAt, null, 'the lost serial is revoked, not forgotten');
  t.deepEqual(planChanges((await planLive(s)).stdout), []);
});
