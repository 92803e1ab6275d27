/**
 * A synthetic site for plan-scale, generated in memory: N nodes, ~20 resources each from four modules,
 * with cluster linking (every node's etcd client config lists the etcd members' addresses).
 */
import { fixtureHostKey } from '../../test/support/site-files.js';
import type { Revision, RevisionFile } from '../../controller/source/revision.js';

const ETCD_MEMBERS = 5;

const header = (kind: string, name: string): string => `apiVersion: underlay.dev/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n`;

function nodeName(i: number): string {
  return `node-${String(i).padStart(5, '0')}`;
}

function nodeDoc(i: number): string {
  const roles = i < ETCD_MEMBERS ? '[etcd, worker]' : '[worker]';
  return `${header('Node', nodeName(i))}  labels:\n    rack: r${i % 40}\nspec:\n  address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n  roles: ${roles}\n  ssh:\n    hostKey: ${fixtureHostKey(nodeName(i))}\n`;
}

const baseModule = `${header('Module', 'base')}spec:
  inputs:
    ntp: {type: string}
    dnsServers: {type: list}
  resources:
    - directory: {path: /etc/underlay-site}
    - directory: {path: /var/lib/underlay-site, mode: "0700"}
    - file: {path: /etc/underlay-site/hostname, content: "{{ node.name }}\\n"}
    - file: {path: /etc/underlay-site/ntp.conf, template: ../templates/ntp.conf}
    - file: {path: /etc/underlay-site/resolv.conf, template: ../templates/resolv.conf}
    - file: {path: /etc/underlay-site/motd, content: "{{ node.name }} in rack {{ node.labels.rack }}\\n"}
    - file: {path: /etc/underlay-site/sysctl.conf, content: "net.ipv4.ip_forward = 1\\nvm.swappiness = 10\\n", mode: "0600"}
    - file: {path: /etc/underlay-site/limits.conf, content: "* soft nofile 65536\\n* hard nofile 65536\\n"}
`;

const agentModule = `${header('Module', 'agent')}spec:
  inputs:
    port: {type: integer, default: 9100}
  outputs:
    endpoint: "http://{{ node.address }}:{{ inputs.port }}"
  resources:
    - directory: {path: /opt/agent}
    - directory: {path: /var/lib/agent}
    - file: {path: /opt/agent/agent.yaml, template: ../templates/agent.yaml}
    - file: {path: /opt/agent/labels, content: "rack={{ node.labels.rack }}\\nname={{ node.name }}\\n"}
    - service: {name: agent, command: /opt/agent/bin/agent, args: ["--config", "/opt/agent/agent.yaml"], user: root, restartOnChangeOf: ["file:/opt/agent/agent.yaml"]}
    - command: {name: agent-init, argv: [/opt/agent/bin/agent, init, --data, /var/lib/agent], creates: /var/lib/agent/.initialised}
`;

const etcdClientModule = `${header('Module', 'etcd-client')}spec:
  inputs:
    members: {type: list}
  resources:
    - directory: {path: /etc/etcd-client}
    - file: {path: /etc/etcd-client/endpoints, content: "{% for m in inputs.members %}https://{{ m }}:2379\\n{% endfor %}"}
`;

const shipperModule = `${header('Module', 'shipper')}spec:
  inputs:
    target: {type: string}
  resources:
    - directory: {path: /var/log/shipper}
    - file: {path: /etc/shipper.conf, content: "target={{ inputs.target }}\\nsource={{ node.name }}\\n"}
    - service: {name: shipper, command: /usr/local/bin/shipper, args: ["-c", "/etc/shipper.conf"], restartOnChangeOf: ["file:/etc/shipper.conf"]}
`;

const clusterDoc = `${header('Cluster', 'fleet')}spec:
  nodes: {roles: [worker]}
  rollout: {batchSize: 50, failureBudget: 5}
  steps:
    - name: base
      module: base
      with:
        ntp: ntp.site.example.net
        dnsServers: [10.255.0.53, 10.255.1.53]
    - name: agent
      module: agent
    - name: etcd-client
      module: etcd-client
      with:
        members: {nodes: {roles: [etcd]}, fact: address}
    - name: shipper
      module: shipper
      with:
        target: logs.site.example.net
`;

export function syntheticSite(nodes: number): Revision {
  const encoder = new TextEncoder();
  const text: Record<string, string> = {
    'modules/base.yaml': baseModule,
    'modules/agent.yaml': agentModule,
    'modules/etcd-client.yaml': etcdClientModule,
    'modules/shipper.yaml': shipperModule,
    'templates/ntp.conf': 'server {{ inputs.ntp }} iburst\ndriftfile /var/lib/ntp/drift\n',
    'templates/resolv.conf': '{% for s in inputs.dnsServers %}nameserver {{ s }}\n{% endfor %}search site.example.net\n',
    'templates/agent.yaml': 'listen: ":{{ inputs.port }}"\nnode: {{ node.name }}\naddress: {{ node.address }}\n',
    'clusters/fleet.yaml': clusterDoc,
  };
  for (let i = 0; i < nodes; i++) text[`nodes/${nodeName(i)}.yaml`] = nodeDoc(i);
  const files: RevisionFile[] = Object.keys(text)
    .sort()
    .map((path) => ({ path, type: 'file', content: encoder.encode(text[path]!) }));
  return { source: 'memory', ref: 'bench', commit: 'b'.repeat(40), worktree: false, files };
}
