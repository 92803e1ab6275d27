/**
 * Pins local test hosts in a site repository: writes each host's address and its own host key into the
 * Node document of the same name (`nodes/<name>.yaml`), keeping comments. Used by the quick start and the
 * end-to-end tests after `test/hosts/cli.ts up` — the keys are read from the hosts the harness made, the
 * way an operator would verify a `underlay nodes keyscan` result before committing it.
 *
 * With the example's network (pinTestNetwork), also moves the site's placeholder network 198.18.0.0/24 (its
 * IPPool, its reverse zone) onto the hosts' own /24, so a VIP is reached from every host on their bridge.
 *
 *   npx tsx scripts/pin-test-hosts.ts <hosts.json> <site-repo-dir>
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';

interface HostsFile {
  hosts: { name: string; address: string; hostKey: string }[];
}

export async function pinTestHosts(hosts: HostsFile['hosts'], repoDir: string): Promise<void> {
  for (const host of hosts) {
    const file = path.join(repoDir, 'nodes', `${host.name}.yaml`);
    const doc = parseDocument(await readFile(file, 'utf8'));
    doc.setIn(['spec', 'address'], host.address);
    doc.setIn(['spec', 'ssh', 'hostKey'], host.hostKey);
    await writeFile(file, doc.toString({ lineWidth: 0 }));
  }
}

/** The placeholder /24 the example sites are written for, as address prefix and reverse zone. */
const PLACEHOLDER_NET = '198.18.0';
const reverseZoneOf = (net: string): string => `${net.split('.').reverse().join('.')}.in-addr.arpa`;

/**
 * Rewrites the placeholder network in the site's documents outside nodes/ (pools, zones, params) to the
 * hosts' /24 (from the first host's address). Nodes are pinned by pinTestHosts.
 */
export async function pinTestNetwork(hosts: HostsFile['hosts'], repoDir: string): Promise<void> {
  const net = hosts[0]?.address.split('.').slice(0, 3).join('.');
  if (net === undefined || net === PLACEHOLDER_NET) return;
  const files = (await readdir(repoDir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('nodes/'));
  for (const file of files) {
    const full = path.join(repoDir, file);
    const text = await readFile(full, 'utf8');
    const pinned = text.replaceAll(reverseZoneOf(PLACEHOLDER_NET), reverseZoneOf(net)).replaceAll(`${PLACEHOLDER_NET}.`, `${net}.`);
    if (pinned !== text) await writeFile(full, pinned);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [hostsJson, repoDir] = process.argv.slice(2);
  if (!hostsJson || !repoDir) {
    process.stderr.write('usage: pin-test-hosts.ts <hosts.json> <site-repo-dir>\n');
    process.exit(1);
  }
  const { hosts } = JSON.parse(await readFile(hostsJson, 'utf8')) as HostsFile;
  await pinTestHosts(hosts, repoDir);
  await pinTestNetwork(hosts, repoDir);
}
