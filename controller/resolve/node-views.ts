/** Nodes as resolve sees them, and the connection details Desired carries for observe and apply. */
import type { Spec } from '../spec/spec.js';
import type { DesiredNode } from '../model/desired.js';
import type { NodeView } from './input-sources.js';
import { byCodeUnit } from '../model/order.js';

/** Sorted by name. Declared facts win over observed ones: Git is what a reviewer saw. */
export function nodeViews(spec: Spec, observed: Readonly<Record<string, Record<string, unknown>>>): NodeView[] {
  return Object.keys(spec.nodes)
    .sort()
    .map((name) => {
      const doc = spec.nodes[name]!.doc;
      return {
        name,
        address: doc.spec.address,
        roles: [...doc.spec.roles],
        labels: { ...(doc.metadata.labels ?? {}) },
        facts: { ...(observed[name] ?? {}), ...doc.spec.facts },
      };
    });
}

const isServiceManager = (v: unknown): v is 'runit' | 'systemd' => v === 'runit' || v === 'systemd';

/** Everything of a DesiredNode but its clusters and resources. */
export function nodeEndpoint(spec: Spec, name: string, observed: Readonly<Record<string, unknown>> | undefined): Omit<DesiredNode, 'clusters' | 'resources'> {
  const doc = spec.nodes[name]!.doc;
  const site = spec.site.doc.spec;
  const observedManager = observed?.['serviceManager'];
  const node: Omit<DesiredNode, 'clusters' | 'resources'> = {
    name,
    address: doc.spec.address,
    port: doc.spec.ssh.port ?? site.ssh.port,
    user: doc.spec.ssh.user ?? site.ssh.user,
    hostKey: doc.spec.ssh.hostKey,
    serviceManager: doc.spec.serviceManager ?? (isServiceManager(observedManager) ? observedManager : site.serviceManager),
    roles: [...doc.spec.roles].sort(),
    labels: Object.fromEntries(Object.entries(doc.metadata.labels ?? {}).sort(([a], [b]) => byCodeUnit(a, b))),
  };
  if (doc.spec.ssh.via !== undefined) node.via = doc.spec.ssh.via;
  return node;
}
