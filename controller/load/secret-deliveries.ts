/**
 * A controller secret goes only where its own policy says (Site.spec.secrets): a resource that would
 * deliver it to a node the policy does not select, or a secret with no policy at all, is refused here,
 * before anyone plans, at the resource's `secret` field. Keys that are the controller's own identity (the
 * nodes' SSH client key, a CA key) have no policy to give: they never leave the controller.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import { matchesSelector, selectableNode, selectNodes, type SelectableNode } from '../spec/node-selector.js';
import { resourceEntry } from '../spec/module-resource.js';
import type { ClusterDoc, SecretPolicy } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';

interface Policies {
  byName: Map<string, { policy: SecretPolicy; index: number }>;
  diagnostics: Diagnostic[];
}

/** The secrets the controller itself holds to be who it is, with what each is. */
function controllerOwnSecrets(catalog: Catalog): Map<string, string> {
  const own = new Map<string, string>([[catalog.site.doc.spec.ssh.clientKeySecret, "the controller's SSH client key (spec.ssh.clientKeySecret)"]]);
  for (const name of Object.keys(catalog.certificateAuthorities).sort()) {
    own.set(catalog.certificateAuthorities[name]!.doc.spec.keySecret, `the private key of CertificateAuthority "${name}"`);
  }
  return own;
}

function readPolicies(catalog: Catalog): Policies {
  const site = catalog.site;
  const own = controllerOwnSecrets(catalog);
  const byName = new Map<string, { policy: SecretPolicy; index: number }>();
  const diagnostics: Diagnostic[] = [];
  site.doc.spec.secrets.forEach((policy, index) => {
    const field = ['spec', 'secrets', index, 'name'];
    const first = byName.get(policy.name);
    if (first) diagnostics.push(diagnosticAt(site, field, 'DuplicateName', `secret ${policy.name} already has a policy, spec.secrets[${first.index}]`));
    else byName.set(policy.name, { policy, index });
    const what = own.get(policy.name);
    if (what !== undefined) diagnostics.push(diagnosticAt(site, field, 'SecretNotDeliverable', `secret ${policy.name} is ${what}: it never leaves the controller, so no node may be given it`));
  });
  return { byName, diagnostics };
}

export function checkSecretDeliveries(catalog: Catalog): Diagnostic[] {
  const policies = readPolicies(catalog);
  const nodes = Object.keys(catalog.nodes).sort().map((n) => selectableNode(catalog.nodes[n]!.doc));
  const out = [...policies.diagnostics];
  for (const name of Object.keys(catalog.clusters).sort()) out.push(...checkCluster(catalog, catalog.clusters[name]!, { nodes, policies }));
  return out;
}

function checkCluster(catalog: Catalog, cluster: Located<ClusterDoc>, site: { nodes: SelectableNode[]; policies: Policies }): Diagnostic[] {
  const out: Diagnostic[] = [];
  const members = selectNodes(site.nodes, cluster.doc.spec.nodes);
  cluster.doc.spec.steps.forEach((step) => {
    // An own key only: references.ts reports a step naming no module.
    if (!Object.hasOwn(catalog.modules, step.module)) return;
    const module = catalog.modules[step.module]!;
    const selected = selectNodes(members, step.nodes);
    if (selected.length === 0) return;
    const where = `cluster "${cluster.doc.metadata.name}" step "${step.name}"`;
    module.doc.spec.resources.forEach((entry, r) => {
      const { kind, doc } = resourceEntry(entry);
      for (const delivery of kind.delivers?.(doc) ?? []) {
        const field = ['spec', 'resources', r, kind.kind, ...delivery.field];
        const found = site.policies.byName.get(delivery.secret);
        if (!found) {
          out.push(diagnosticAt(module, field, 'SecretNotInPolicy', `secret ${delivery.secret} has no policy in the Site's spec.secrets, so it goes to no node; ${where} renders this resource on ${names(selected)}`));
          continue;
        }
        const refused = selected.filter((n) => !matchesSelector(n, found.policy.nodes));
        if (refused.length > 0) {
          out.push(diagnosticAt(module, field, 'SecretNodeNotAllowed', `secret ${delivery.secret} may not go to ${names(refused)}: ${where} renders this resource there, and its policy (Site spec.secrets[${found.index}]) does not select ${refused.length === 1 ? 'it' : 'them'}`));
        }
      }
    });
  });
  return out;
}

const names = (nodes: readonly SelectableNode[]): string => `node${nodes.length === 1 ? '' : 's'} ${nodes.map((n) => n.name).join(', ')}`;
