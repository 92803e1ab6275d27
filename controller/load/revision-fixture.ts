/** Test helper: a Revision built in memory from `{path: text}` (or `{path: {symlink: target}}`). */
import type { Revision, RevisionFile } from '../source/revision.js';
import { sha256 } from '../model/sha256.js';

export type FixtureFiles = Record<string, string | Uint8Array | { symlink: string }>;

export function revisionOf(files: FixtureFiles): Revision {
  const encoder = new TextEncoder();
  const list: RevisionFile[] = Object.keys(files)
    .sort()
    .map((path) => {
      const f = files[path]!;
      if (typeof f === 'string') return { path, type: 'file', content: encoder.encode(f) };
      if (f instanceof Uint8Array) return { path, type: 'file', content: f };
      return { path, type: 'symlink', content: encoder.encode(f.symlink) };
    });
  return { source: 'memory', ref: 'main', commit: '0'.repeat(40), worktree: false, files: list };
}

export const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm3cLBpVn2YtrK0FCkD8XNOHQzZp4b4rR9Zgk5p2Wc1';

/**
 * A well-formed ssh-ed25519 key line of its own for each name: load refuses one key pinned on two nodes,
 * so fixtures with several nodes need several keys. Not any machine's key (the 32 bytes are a hash).
 */
export function fixtureHostKey(name: string): string {
  const field = (bytes: Uint8Array): Buffer => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const key = Buffer.from(sha256(`underlay-fixture:${name}`), 'hex');
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(key)]).toString('base64')}`;
}

/** An address of its own for each name, as each node has (load refuses two nodes with one address). */
export function fixtureAddress(name: string): string {
  const [a = 0, b = 0, c = 0] = Buffer.from(sha256(`underlay-fixture-address:${name}`), 'hex');
  return `10.${a}.${b}.${(c % 254) + 1}`;
}

export const node = (name: string, extra = ''): string => `apiVersion: underlay.dev/v1alpha1
kind: Node
metadata:
  name: ${name}
  labels:
    site: lab
spec:
  address: ${fixtureAddress(name)}
  roles: [worker]
  ssh:
    hostKey: ${fixtureHostKey(name)}${extra}
`;

export const module = (name: string, spec: string): string => `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: ${name}
spec:
${spec}`;

export const cluster = (name: string, spec: string): string => `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: ${name}
spec:
  nodes:
    matchLabels:
      site: lab
${spec}`;

/** A small repository with no problems: tests add one mistake to it. */
export function validSite(): FixtureFiles {
  return {
    'nodes/n1.yaml': node('n1'),
    'modules/motd.yaml': module(
      'motd',
      `  inputs:
    greeting: {type: string}
    width: {type: integer, default: 80}
  outputs:
    banner: "{{ inputs.greeting }}"
  resources:
    - file: {path: /etc/motd, template: ../templates/motd.liquid}
    - service: {name: motd, command: /usr/bin/motd, restartOnChangeOf: ["file:/etc/motd"]}
`,
    ),
    'templates/motd.liquid': '{{ inputs.greeting }}\n',
    'clusters/lab.yaml': cluster(
      'lab',
      `  steps:
    - name: motd
      module: motd
      with:
        greeting: hello
`,
    ),
  };
}
