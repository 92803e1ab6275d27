/**
 * Assertions about real test hosts for the end-to-end tests: through the real OpenSSH client (strict host
 * key checking against the keys the harness read from the nodes, so a check never talks to an impostor) and
 * from the host, through each node's overlay upper dir.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestHost, TestHostCluster } from '../../hosts/harness.js';
import { sshRun, writeKnownHosts } from '../../hosts/ssh-client.js';

const hostOf = (hosts: TestHostCluster, name: string): TestHost => {
  const h = hosts.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no test host ${name}`);
  return h;
};

/** Runs `command` on the node over SSH; a non-zero exit is an error carrying stderr. */
export async function ssh(hosts: TestHostCluster, name: string, command: string): Promise<string> {
  const host = hostOf(hosts, name);
  // Keys change on wipeHost, so the known_hosts file is written per call from the harness's current view.
  const dir = mkdtempSync(path.join(tmpdir(), 'underlay-e2e-kh-'));
  try {
    const knownHosts = writeKnownHosts(dir, 'known_hosts', [host]);
    const r = await sshRun(host, hosts.clientKeyPath, knownHosts, command);
    if (r.code !== 0) throw new Error(`ssh ${name} ${JSON.stringify(command)} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A path inside the node, seen from the host through the node's overlay upper dir. */
export function onHost(hosts: TestHostCluster, name: string, nodePath: string): string {
  return path.join(hostOf(hosts, name).upperDir, nodePath);
}

export interface Stamp {
  ino: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** Identity and last write of a node's file as the host sees it: any rewrite (even atomic) changes it. */
export function stampOf(hosts: TestHostCluster, name: string, nodePath: string): Stamp {
  const st = statSync(onHost(hosts, name, nodePath), { bigint: true });
  return { ino: st.ino, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

/** The node's managed record (resource key -> spec hash), read from the host. */
export function managedRecord(hosts: TestHostCluster, name: string): Record<string, { hash: string }> {
  const file = onHost(hosts, name, '/var/lib/underlay/managed.json');
  if (!existsSync(file)) return {};
  return (JSON.parse(readFileSync(file, 'utf8')) as { resources: Record<string, { hash: string }> }).resources;
}

/** Paths of the `file:` resources underlay manages on the node, sorted. */
export function managedFiles(hosts: TestHostCluster, name: string): string[] {
  return Object.keys(managedRecord(hosts, name))
    .filter((k) => k.startsWith('file:'))
    .map((k) => k.slice('file:'.length))
    .sort();
}

export function sha256Of(hosts: TestHostCluster, name: string, nodePath: string): string {
  return createHash('sha256').update(readFileSync(onHost(hosts, name, nodePath))).digest('hex');
}

/** runit services on the node (from `sv status` over SSH): name -> pid, or the status line when not running. */
export async function runitServices(hosts: TestHostCluster, name: string): Promise<Record<string, string>> {
  const out = await ssh(hosts, name, 'for s in /etc/service/*; do sv status "$s" || true; done');
  const services: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^(\w+): \/etc\/service\/([^:]+): (?:\(pid (\d+)\))?/.exec(line);
    if (!m) continue;
    services[m[2]!] = m[1] === 'run' && m[3] ? m[3] : line;
  }
  return services;
}

/** Every node's runit services: node -> service -> pid. */
export async function allRunitServices(hosts: TestHostCluster): Promise<Record<string, Record<string, string>>> {
  const entries = await Promise.all(hosts.hosts.map(async (h) => [h.name, await runitServices(hosts, h.name)] as const));
  return Object.fromEntries(entries);
}

