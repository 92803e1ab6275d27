/**
 * The TLS etcd example (examples/three-node-etcd) as an e2e site on real test hosts, ready for its first
 * apply: the example moved onto the hosts' own network, a site CA made here with `underlay pki init` (its
 * key into the secret store, its certificate committed) and the zone's TSIG key made with tsig-keygen into
 * the secret store. What every test of the TLS example starts from.
 */
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pinTestNetwork } from '../../../scripts/pin-test-hosts.js';
import { createE2ESite, runCli, type E2ESite } from './e2e-site.js';

export async function createTlsEtcdSite(options: { count: number; pinned?: number }): Promise<E2ESite> {
  const site = await createE2ESite({ example: 'three-node-etcd', ...options });
  const { secretsDir } = site;
  await site.commit("the example on the test hosts' network, with a site CA made here", async (dir) => {
    await pinTestNetwork(site.hosts.hosts, dir);
    await rm(path.join(dir, 'ca/site-ca.pem'));
    const init = await runCli(['pki', 'init', '--ca', 'site-ca', '--key-secret', 'site-ca-key', '--secrets-dir', secretsDir, '--out', path.join(dir, 'ca/site-ca.pem')]);
    if (init.code !== 0) throw new Error(init.stderr);
  });
  await writeFile(path.join(secretsDir, 'lab-tsig'), execFileSync('tsig-keygen', ['-a', 'hmac-sha256', 'lab-tsig'], { encoding: 'utf8' }), { mode: 0o600 });
  return site;
}
