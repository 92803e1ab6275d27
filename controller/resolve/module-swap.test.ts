import test from 'ava';
import type { Desired } from '../model/desired.js';
import { resolveSite } from './resolve-site.js';
import { clusterDoc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';

const runtime = (name: string, socket: string, path: string) =>
  moduleDoc(name, { outputs: { criSocket: socket }, resources: [{ directory: { path: `/etc/${name}` } }, { file: { path: `/etc/${name}/${path}`, content: `${name}\n` } }] });

function desiredWith(runtimeModule: string): Desired {
  const docs = [
    node('w1', '10.0.0.1', { roles: ['worker'] }),
    node('w2', '10.0.0.2', { roles: ['worker'] }),
    runtime('containerd', 'unix:///run/containerd/containerd.sock', 'config.toml'),
    runtime('crio', 'unix:///run/crio/crio.sock', 'crio.conf'),
    moduleDoc('base', { resources: [{ file: { path: '/etc/motd', content: '{{ node.name }}' } }] }),
    moduleDoc('kubelet', {
      inputs: { criSocket: { type: 'string' } },
      resources: [
        { directory: { path: '/var/lib/kubelet' } },
        { file: { path: '/var/lib/kubelet/config.yaml', content: 'containerRuntimeEndpoint: {{ inputs.criSocket }}\n' } },
        { service: { name: 'kubelet', command: '/usr/bin/kubelet', args: ['--config=/var/lib/kubelet/config.yaml'] } },
      ],
    }),
    clusterDoc('workers', {
      nodes: { roles: ['worker'] },
      steps: [
        { name: 'base', module: 'base' },
        { name: 'runtime', module: runtimeModule },
        { name: 'kubelet', module: 'kubelet', with: { criSocket: { output: 'runtime.criSocket' } } },
      ],
    }),
  ];
  const r = resolveSite(testSpec(docs), {}, {});
  if (!r.desired) throw new Error(JSON.stringify(r.diagnostics));
  return r.desired;
}

/** Every resource as `node/key` -> its JSON, so two Desireds can be compared resource by resource. */
function flatten(d: Desired): Map<string, string> {
  return new Map(d.nodes.flatMap((n) => n.resources.map((r) => [`${n.name}/${r.key}`, JSON.stringify(r)] as const)));
}

test('swapping containerd for crio changes only the runtime step and the kubelet config that reads its output', (t) => {
  const before = flatten(desiredWith('containerd'));
  const after = flatten(desiredWith('crio'));
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
  t.deepEqual(changed, [
    'w1/directory:/etc/containerd',
    'w1/directory:/etc/crio',
    'w1/file:/etc/containerd/config.toml',
    'w1/file:/etc/crio/crio.conf',
    // Its content follows the new socket; its dependsOn names the new runtime's resources.
    'w1/file:/var/lib/kubelet/config.yaml',
    // Waits for the runtime step's resources, which are now crio's.
    'w1/directory:/var/lib/kubelet',
    'w1/service:kubelet',
    'w2/directory:/etc/containerd',
    'w2/directory:/etc/crio',
    'w2/file:/etc/containerd/config.toml',
    'w2/file:/etc/crio/crio.conf',
    'w2/file:/var/lib/kubelet/config.yaml',
    'w2/directory:/var/lib/kubelet',
    'w2/service:kubelet',
  ].sort());
  const content = (m: Map<string, string>) => (JSON.parse(m.get('w1/file:/var/lib/kubelet/config.yaml')!) as { spec: { content: string } }).spec.content;
  t.is(content(before), 'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n');
  t.is(content(after), 'containerRuntimeEndpoint: unix:///run/crio/crio.sock\n');
  for (const key of ['w1/file:/etc/motd', 'w2/file:/etc/motd']) t.is(before.get(key), after.get(key));
});
