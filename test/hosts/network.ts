import { existsSync } from 'node:fs';
import { run, runOk } from './exec.js';

// No NAT and no forwarding anywhere: the bridge is an island that only the host and the nodes share.

export async function createBridge(bridge: string, gateway: string): Promise<void> {
  await runOk(['ip', 'link', 'add', bridge, 'type', 'bridge']);
  // IPv6 off on the bridge: nodes only get 198.18.0.0/15 addresses, so no link-local chatter either.
  await run(['sysctl', '-q', '-w', `net.ipv6.conf.${bridge}.disable_ipv6=1`]);
  await runOk(['ip', 'addr', 'add', `${gateway}/24`, 'dev', bridge]);
  await runOk(['ip', 'link', 'set', bridge, 'up']);
}

export async function createNodeNetwork(o: { bridge: string; netns: string; veth: string; address: string; gateway: string }): Promise<void> {
  await runOk(['ip', 'netns', 'add', o.netns]);
  await runOk(['ip', 'link', 'add', o.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', o.netns]);
  await run(['sysctl', '-q', '-w', `net.ipv6.conf.${o.veth}.disable_ipv6=1`]);
  await runOk(['ip', 'link', 'set', o.veth, 'master', o.bridge, 'up']);
  await runOk(['ip', '-n', o.netns, 'link', 'set', 'lo', 'up']);
  await runOk(['ip', '-n', o.netns, 'addr', 'add', `${o.address}/24`, 'dev', 'eth0']);
  await runOk(['ip', '-n', o.netns, 'link', 'set', 'eth0', 'up']);
  await runOk(['ip', '-n', o.netns, 'route', 'add', 'default', 'via', o.gateway]);
}

export async function deleteNodeNetwork(netns: string, veth: string): Promise<void> {
  // Deleting one end of a veth pair deletes both; the namespace may already hold no interface.
  if (veth && (await linkExists(veth))) await run(['ip', 'link', 'del', veth]);
  if (netns && existsSync(`/run/netns/${netns}`)) await run(['ip', 'netns', 'del', netns]);
}

export async function deleteBridge(bridge: string): Promise<void> {
  if (await linkExists(bridge)) await run(['ip', 'link', 'del', bridge]);
}

export async function linkExists(name: string): Promise<boolean> {
  return existsSync(`/sys/class/net/${name}`);
}

export async function netnsPids(netns: string): Promise<number[]> {
  if (!existsSync(`/run/netns/${netns}`)) return [];
  const r = await run(['ip', 'netns', 'pids', netns], { timeoutMs: 10_000 });
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}
