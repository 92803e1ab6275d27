/**
 * A real BIND (`named -g` under runit) on a test host, serving primary zones that accept updates and
 * transfers signed with one TSIG key (made by `tsig-keygen`). The key file is also put in a secret store
 * directory, as the controller would hold it. For e2e tests and the DNS bench.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestHosts, type TestHostCluster } from '../hosts/harness.js';
import { poll, run, runOk } from '../hosts/exec.js';

export interface BindServer {
  address: string;
  port: number;
  zones: string[];
  /** The secret store directory; the key file is `keyFile` in it. */
  secretDir: string;
  keySecretName: string;
  keyFile: string;
  keyName: string;
  hosts: TestHostCluster;
  /** `dig +tcp @server` with these arguments; signed with the key. */
  dig(args: string[]): Promise<string>;
  /** An `nsupdate -k` script run from the host (a person editing the zone by hand). */
  nsupdate(script: string): Promise<void>;
  teardown(): Promise<void>;
}

export interface BindServerOptions {
  zones: string[];
  keyName?: string;
  /** Of `zones`, those that refuse every update (`allow-update { none; }`) but still transfer to the key. */
  readOnlyZones?: string[];
}

function namedConf(address: string, opts: BindServerOptions, keyName: string): string {
  const zones = opts.zones;
  const update = (z: string): string => (opts.readOnlyZones?.includes(z) ? 'none;' : `key "${keyName}";`);
  const zone = (z: string): string =>
    `zone "${z}" { type primary; file "/var/lib/bind/underlay/${z}.zone"; allow-update { ${update(z)} }; allow-transfer { key "${keyName}"; }; };`;
  return [
    'include "/etc/bind/underlay/key.conf";',
    `options { directory "/var/cache/bind"; listen-on port 53 { ${address}; }; listen-on-v6 { none; }; recursion no;`,
    '  pid-file none; dnssec-validation no; notify no; };',
    ...zones.map(zone),
    '',
  ].join('\n');
}

function zoneFile(zone: string, address: string): string {
  return [`$TTL 300`, `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 300`, `@ IN NS ns.${zone}.`, `ns IN A ${address}`, ''].join('\n');
}

const RUN = '#!/bin/sh\nexec 2>&1\nexec named -g -c /etc/bind/underlay/named.conf\n';

export async function startBindServer(opts: BindServerOptions): Promise<BindServer> {
  const keyName = opts.keyName ?? 'underlay-test.';
  const keySecretName = 'dns-tsig-key';
  const secretDir = mkdtempSync(join(tmpdir(), 'underlay-dns-secrets-'));
  const keyText = await runOk(['tsig-keygen', '-a', 'hmac-sha256', keyName]);
  const keyFile = join(secretDir, keySecretName);
  writeFileSync(keyFile, keyText, { mode: 0o600 });
  const hosts = await createTestHosts({ count: 1, namePrefix: 'dns' });
  try {
    const { address } = hosts.hosts[0]!;
    const files: [string, string][] = [
      ['/etc/bind/underlay/key.conf', keyText],
      ['/etc/bind/underlay/named.conf', namedConf(address, opts, keyName)],
      ...opts.zones.map((z): [string, string] => [`/var/lib/bind/underlay/${z}.zone`, zoneFile(z, address)]),
      ['/etc/sv/underlay-named/run', RUN],
    ];
    const script = [
      'set -e',
      'mkdir -p /etc/bind/underlay /var/lib/bind/underlay /etc/sv/underlay-named',
      ...files.map(([path, text]) => `printf '%s' '${text.replace(/'/g, `'\\''`)}' > ${path}`),
      'chmod 755 /etc/sv/underlay-named/run',
      'ln -sfn /etc/sv/underlay-named /etc/service/underlay-named',
    ].join('\n');
    const r = await hosts.run('dns1', script);
    if (r.code !== 0) throw new Error(`setting up named failed: ${r.stderr}`);
    const dig = async (args: string[]): Promise<string> => {
      const out = await run(['dig', '+tcp', '+tries=1', '+time=5', '-p', '53', '-k', keyFile, `@${address}`, ...args], { timeoutMs: 120_000 });
      if (out.code !== 0) throw new Error(`dig ${args.join(' ')}: ${out.stdout}${out.stderr}`);
      return out.stdout;
    };
    await poll('named answers', 60_000, async () => ((await dig([opts.zones[0]!, 'SOA']).catch(() => '')).includes('status: NOERROR') ? true : undefined), 250);
    return {
      address,
      port: 53,
      zones: opts.zones,
      secretDir,
      keySecretName,
      keyFile,
      keyName,
      hosts,
      dig,
      async nsupdate(body) {
        const out = await run(['nsupdate', '-v', '-k', keyFile], { input: `server ${address} 53\n${body}\nsend\n`, timeoutMs: 600_000 });
        if (out.code !== 0) throw new Error(`nsupdate: ${out.stdout}${out.stderr}`);
      },
      async teardown() {
        await hosts.teardown();
        rmSync(secretDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await hosts.teardown();
    rmSync(secretDir, { recursive: true, force: true });
    throw error;
  }
}
