import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import test from 'ava';
import { loadSpec } from '../load/load-spec.js';
import type { Revision, RevisionFile } from '../source/revision.js';
import type { Desired } from '../model/desired.js';
import { resolveSite } from './resolve-site.js';
import type { NodeResourceSpec } from '../../test/support/build-desired.js';

const examples = new URL('../../examples/', import.meta.url).pathname;

function revisionOf(dir: string): Revision {
  const files: RevisionFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push({ path: relative(dir, p), type: 'file', content: readFileSync(p) });
    }
  };
  walk(dir);
  return { source: dir, ref: 'main', commit: '0'.repeat(40), worktree: true, files };
}

function resolveRevision(revision: Revision): Desired {
  const loaded = loadSpec(revision);
  if (!loaded.spec) throw new Error(JSON.stringify(loaded.diagnostics, null, 2));
  const r = resolveSite(loaded.spec, {}, {});
  if (!r.desired) throw new Error(JSON.stringify(r.diagnostics, null, 2));
  return r.desired;
}

const resolveExample = (name: string): Desired => resolveRevision(revisionOf(join(examples, name)));

const resource = (d: Desired, node: string, key: string) => d.nodes.find((n) => n.name === node)?.resources.find((r) => r.key === key);

test('three-node-etcd loads and resolves: TLS members linked, haproxy on the VIP', (t) => {
  const d = resolveExample('three-node-etcd');
  const etcd = resource(d, 'node2', 'service:etcd')?.spec as NodeResourceSpec | undefined;
  const args = etcd?.kind === 'service' ? etcd.args : [];
  t.true(args.includes('--initial-cluster=node1=https://198.18.0.11:2380,node2=https://198.18.0.12:2380,node3=https://198.18.0.13:2380'));
  for (const flag of ['--initial-cluster-state=new', '--heartbeat-interval=100', '--client-cert-auth', '--peer-client-cert-auth', '--trusted-ca-file=/etc/etcd/pki/ca.crt']) t.true(args.includes(flag), flag);
  const cfg = resource(d, 'node1', 'file:/etc/haproxy/haproxy.cfg')?.spec as NodeResourceSpec | undefined;
  t.true(cfg?.kind === 'file' && 'content' in cfg && cfg.content.includes('    bind 198.18.0.200:2379\n') && cfg.content.includes('    server node3 198.18.0.13:2379 check inter 1s\n'));
  // Servers named by node: the etcd drain steps address them through the admin socket; redispatch with retries.
  for (const line of ['    stats socket /var/lib/haproxy/admin.sock mode 600 level admin\n', '    option redispatch\n    retries 3\n']) t.true(cfg?.kind === 'file' && 'content' in cfg && cfg.content.includes(line), line);
  t.deepEqual(resource(d, 'node1', 'file:/etc/haproxy/haproxy.cfg')?.dependsOn, [
    'node1/address:eth0/198.18.0.200/24',
    'node1/directory:/etc/haproxy',
    'node1/service:etcd',
    'node2/service:etcd',
    'node3/service:etcd',
  ]);
});

test('three-node-etcd: the server certificates name the VIP and etcd.<zone>; BIND on node3 serves the zones, which wait for it', (t) => {
  const d = resolveExample('three-node-etcd');
  const server = resource(d, 'node2', 'certificate:etcd-server')?.spec as NodeResourceSpec | undefined;
  t.true(server?.kind === 'certificate' && server.ipAddresses.includes('198.18.0.200') && server.dnsNames.includes('etcd.lab.example.net'));
  t.truthy(resource(d, 'node3', 'service:named'));
  t.is(resource(d, 'node1', 'service:named'), undefined, 'BIND on the dns node only');
  t.true(d.nodes.every((n) => resource(d, n.name, 'file:/etc/resolv.conf') !== undefined), 'every node resolves through it');
  t.deepEqual(d.zones?.lab?.servedBy, { node: 'node3', resource: 'service:named' });
  t.deepEqual(
    d.services.map((s) => s.key),
    [
      'dns:lab-reverse/11.0.18.198.in-addr.arpa./PTR',
      'dns:lab-reverse/12.0.18.198.in-addr.arpa./PTR',
      'dns:lab-reverse/13.0.18.198.in-addr.arpa./PTR',
      'dns:lab/etcd.lab.example.net./A',
      'dns:lab/node1.lab.example.net./A',
      'dns:lab/node2.lab.example.net./A',
      'dns:lab/node3.lab.example.net./A',
      'ip:lab-vips/etcd.vip',
    ],
  );
});

test('module-swap: replacing containerd with crio changes the runtime files and the kubelet config only', (t) => {
  const revision = revisionOf(join(examples, 'module-swap'));
  const swapped: Revision = {
    ...revision,
    files: revision.files.map((f) =>
      f.path === 'cluster.yaml' ? { ...f, content: Buffer.from(Buffer.from(f.content).toString('utf8').replace('module: containerd', 'module: crio')) } : f,
    ),
  };
  const spec = (d: Desired) => new Map(d.nodes.flatMap((n) => n.resources.map((r) => [`${n.name}/${r.key}`, JSON.stringify(r.spec)] as const)));
  const before = spec(resolveRevision(revision));
  const after = spec(resolveRevision(swapped));
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
  t.deepEqual(changed, [
    'worker1/directory:/etc/containerd',
    'worker1/directory:/etc/crio/crio.conf.d',
    'worker1/file:/etc/containerd/config.toml',
    'worker1/file:/etc/crio/crio.conf.d/10-underlay.conf',
    'worker1/file:/var/lib/kubelet/config.yaml',
    'worker2/directory:/etc/containerd',
    'worker2/directory:/etc/crio/crio.conf.d',
    'worker2/file:/etc/containerd/config.toml',
    'worker2/file:/etc/crio/crio.conf.d/10-underlay.conf',
    'worker2/file:/var/lib/kubelet/config.yaml',
  ]);
  t.regex(after.get('worker1/file:/var/lib/kubelet/config.yaml')!, /containerRuntimeEndpoint: unix:\/\/\/run\/crio\/crio.sock/);
});

test('three-node-etcd grows by a Node document alone: node4 joins after the member add, and no member it joins restarts', (t) => {
  const revision = revisionOf(join(examples, 'three-node-etcd'));
  const node2 = Buffer.from(revision.files.find((f) => f.path === 'nodes/node2.yaml')!.content).toString('utf8');
  const node4 = node2.replaceAll('node2', 'node4').replace('rack: r2', 'rack: r4').replace('etcd-cluster-state: new', 'etcd-cluster-state: existing').replace('198.18.0.12', '198.18.0.14').replace(/ssh-ed25519 \S+/, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBygfm3KmLFCM4N1pwtXOUTRcoukdjQbo3FTM+8Ci1v6');
  const grown = resolveRevision({ ...revision, files: [...revision.files, { path: 'nodes/node4.yaml', type: 'file', content: Buffer.from(node4) }] });
  const before = resolveExample('three-node-etcd');
  const specOf = (d: Desired, node: string, key: string): string => JSON.stringify(resource(d, node, key)?.spec);
  for (const n of ['node1', 'node2', 'node3']) t.is(specOf(grown, n, 'service:etcd'), specOf(before, n, 'service:etcd'), `${n}'s etcd is started as it was`);

  const join4 = resource(grown, 'node4', 'service:etcd');
  const spec4 = join4?.spec as NodeResourceSpec | undefined;
  const args = spec4?.kind === 'service' ? spec4.args : [];
  t.true(args.includes('--initial-cluster-state=existing'));
  t.true(args.includes('--initial-cluster=node1=https://198.18.0.11:2380,node2=https://198.18.0.12:2380,node3=https://198.18.0.13:2380,node4=https://198.18.0.14:2380'));
  t.true(join4!.dependsOn.includes('node1/command:etcd-membership'), join4!.dependsOn.join(', '));
  t.true(join4!.dependsOn.includes('node4/command:etcd-member-data'));
  const members = resource(grown, 'node1', 'file:/etc/etcd/members')?.spec as NodeResourceSpec | undefined;
  t.true(members?.kind === 'file' && 'content' in members && members.content.endsWith('node4=https://198.18.0.14:2380\n'));
  t.is(resource(grown, 'node2', 'command:etcd-membership'), undefined, 'one member speaks for the cluster');
  const cfg = resource(grown, 'node1', 'file:/etc/haproxy/haproxy.cfg');
  t.true(cfg!.dependsOn.includes('node4/service:etcd'), 'haproxy takes node4 once it is up');
  t.true(grown.services.some((s) => s.key === 'dns:lab/node4.lab.example.net./A'));
});
