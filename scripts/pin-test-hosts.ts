/**
 * Pins local test hosts in a site repository: writes each host's address and its own host key into the
 * Node document of the same name (`nodes/<name>.yaml`), keeping comments. Used by the quick start and the
 * end-to-end tests after `test/hosts/cli.ts up` — the keys are read from the hosts the harness made, the
 * way an operator would verify a `underlay nodes keyscan` result before committing it.
 *
 *   npx tsx scripts/pin-test-hosts.ts <hosts.json> <site-repo-dir>
 */
import { readFile, writeFile } from 'node:fs/promises';
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const [hostsJson, repoDir] = process.argv.slice(2);
  if (!hostsJson || !repoDir) {
    process.stderr.write('usage: pin-test-hosts.ts <hosts.json> <site-repo-dir>\n');
    process.exit(1);
  }
  const { hosts } = JSON.parse(await readFile(hostsJson, 'utf8')) as HostsFile;
  await pinTestHosts(hosts, repoDir);
}
