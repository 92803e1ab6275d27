/**
 * One node cannot have two owners for one resource (a file, a service, a command): the two would overwrite
 * each other on every apply. Keys containing templates are only known after resolve, which checks them again; literal keys are
 * caught here, before anyone runs a plan.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import { selectableNode, selectNodes } from '../spec/node-selector.js';
import type { ClusterDoc } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { resourceKey } from '../model/resource-key.js';
import { resourceIdentity } from '../spec/module-resource.js';

export function checkDuplicateResources(catalog: Catalog): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of Object.keys(catalog.modules).sort()) {
    const module = catalog.modules[name]!;
    const seen = new Map<string, number>();
    module.doc.spec.resources.forEach((resource, i) => {
      const id = resourceIdentity(resource);
      const key = resourceKey(id.kind, id.key);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else out.push(diagnosticAt(module, ['spec', 'resources', i, ...id.keyField], 'DuplicateResource', `${key} is already declared by spec.resources[${first}]`));
    });
  }
  for (const name of Object.keys(catalog.clusters).sort()) out.push(...checkCluster(catalog, catalog.clusters[name]!));
  return out;
}

function checkCluster(catalog: Catalog, cluster: Located<ClusterDoc>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const nodes = Object.keys(catalog.nodes).sort().map((n) => selectableNode(catalog.nodes[n]!.doc));
  const members = selectNodes(nodes, cluster.doc.spec.nodes);
  const owners = new Map<string, { step: string; selected: Set<string>; everyMember: boolean }[]>();

  cluster.doc.spec.steps.forEach((step, i) => {
    // An own key only: "constructor" is a valid module name that no table declares (references.ts reports it).
    if (!Object.hasOwn(catalog.modules, step.module)) return;
    const module = catalog.modules[step.module]!;
    const everyMember = step.nodes === undefined;
    const selected = new Set(selectNodes(members, step.nodes).map((n) => n.name));
    let reported = false;
    for (const resource of module.doc.spec.resources) {
      const id = resourceIdentity(resource);
      if (id.key.includes('{{')) continue;
      const key = resourceKey(id.kind, id.key);
      const previous = owners.get(key) ?? [];
      const clash = previous.find((p) => (p.everyMember && everyMember) || [...p.selected].some((n) => selected.has(n)));
      // One diagnostic per step: the rest of its clashes follow from the same overlap.
      if (clash && !reported) {
        reported = true;
        out.push(diagnosticAt(cluster, ['spec', 'steps', i, 'module'], 'DuplicateResource', `step "${step.name}" (module "${step.module}") renders ${key}, which step "${clash.step}" also renders on the same nodes`));
      }
      previous.push({ step: step.name, selected, everyMember });
      owners.set(key, previous);
    }
  });
  return out;
}
