/** The bench's nodes: each one's CSR (made by `openssl req`, as a node makes it), what it declares and owns. */
import { execFileSync } from 'node:child_process';
import type { DeclaredCertificate, NodeEntitlement } from '../../controller/pki/policy.js';

export type BenchKey = 'ec' | 'rsa';

export interface NodeRequest {
  node: string;
  csr: string;
  declared: DeclaredCertificate;
  entitlement: NodeEntitlement;
}

const KEY_ARGS: Record<BenchKey, string[]> = { ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], rsa: ['-newkey', 'rsa:2048'] };

export function nodeRequests(key: BenchKey, count: number): NodeRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const node = `node${i + 1}`;
    const dnsNames = [`${node}.site.example.net`, 'etcd.site.example.net'];
    const address = `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const csr = execFileSync(
      'openssl',
      ['req', '-new', '-nodes', ...KEY_ARGS[key], '-keyout', '/dev/null', '-subj', `/CN=${node}`, '-addext', `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')},IP:${address}`, '-addext', 'extendedKeyUsage=serverAuth,clientAuth'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return {
      node,
      csr,
      declared: { commonName: node, dnsNames, ipAddresses: [address], usages: ['peer'], validityDays: 30 },
      entitlement: { node, addresses: [address], zoneNames: [dnsNames[0]!], clusterNames: ['etcd.site.example.net'] },
    };
  });
}
