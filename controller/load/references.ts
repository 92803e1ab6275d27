/**
 * Cross-document references: every name a document uses must exist, with the right kind, and step inputs
 * must fit the module they are passed to. Load is the only place these are checked (resolve trusts them),
 * so names are looked up as own keys: "constructor" is a valid name, and no table declares it.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { ClusterDoc, ModuleDoc } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { classifyStepInput, splitOutputRef } from './input-reference.js';
import { keyIdentity, keyKind, resourceKey } from '../model/resource-key.js';
import { resourceEntry, resourceIdentity } from '../spec/module-resource.js';
import { issuesToDiagnostics } from './schema-diagnostics.js';
import { siteUnknown, unknownsOf, type Unknowns } from './unreadable-documents.js';
import { byCodeUnit } from '../model/order.js';

/** Names that may exist: valid documents, plus what unreadable ones (already reported) may declare. */
interface Names {
  has(kind: 'Node' | 'Module' | 'IPPool' | 'DNSZone' | 'CertificateAuthority', name: string): boolean;
}

export function checkReferences(catalog: Catalog, unknowns: Unknowns = unknownsOf([])): Diagnostic[] {
  const tables = { Node: catalog.nodes, Module: catalog.modules, IPPool: catalog.pools, DNSZone: catalog.zones, CertificateAuthority: catalog.certificateAuthorities };
  const names: Names = { has: (kind, name) => Object.hasOwn(tables[kind], name) || unknowns.mayDeclare(kind, name) };
  const out: Diagnostic[] = [];
  for (const name of sorted(catalog.nodes)) {
    const node = catalog.nodes[name]!;
    const via = node.doc.spec.ssh.via;
    if (via !== undefined && (via === name || !names.has('Node', via))) {
      const why = via === name ? 'a node cannot be its own bastion' : `no Node named "${via}"`;
      out.push(diagnosticAt(node, ['spec', 'ssh', 'via'], 'DanglingReference', `ssh.via: ${why}`));
    }
  }
  for (const name of sorted(catalog.certificateAuthorities)) {
    const ca = catalog.certificateAuthorities[name]!;
    ca.doc.spec.policy.allowedPools.forEach((pool, i) => {
      if (!names.has('IPPool', pool)) out.push(diagnosticAt(ca, ['spec', 'policy', 'allowedPools', i], 'DanglingReference', `no IPPool named "${pool}"`));
    });
  }
  for (const name of sorted(catalog.modules)) out.push(...checkModule(names, catalog.modules[name]!));
  // An unreadable Site may declare any param: one the cluster does not declare itself is unknown, not missing.
  const siteParams = siteUnknown(catalog, unknowns) ? undefined : catalog.site.doc.spec.params;
  for (const name of sorted(catalog.clusters)) out.push(...checkCluster(catalog, names, siteParams, catalog.clusters[name]!));
  return out;
}

function checkModule(names: Names, module: Located<ModuleDoc>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const resources = module.doc.spec.resources;
  const identities = new Set(resources.map((r) => {
    const id = resourceIdentity(r);
    return resourceKey(id.kind, id.key);
  }));
  resources.forEach((resource, i) => {
    const { kind, doc } = resourceEntry(resource);
    for (const ref of kind.references?.(doc) ?? []) {
      const path = ['spec', 'resources', i, kind.kind, ...ref.field];
      if ('document' in ref) {
        if (!names.has(ref.document, ref.name)) out.push(diagnosticAt(module, path, 'DanglingReference', `no ${ref.document} named "${ref.name}"`));
      } else if (!identities.has(ref.resource)) {
        out.push(diagnosticAt(module, path, 'DanglingReference', `module "${module.doc.metadata.name}" has no ${keyKind(ref.resource)} resource "${keyIdentity(ref.resource)}"`));
      }
    }
  });
  return out;
}

/** What a cluster's step inputs are checked against: its steps' modules and the params it can see. */
interface ClusterScope {
  cluster: Located<ClusterDoc>;
  names: Names;
  /** undefined when an unreadable Site may declare any param. */
  siteParams: Record<string, unknown> | undefined;
  params: Record<string, unknown>;
  stepModules: Map<string, Located<ModuleDoc> | undefined>;
}

type Step = ClusterDoc['spec']['steps'][number];

function checkCluster(catalog: Catalog, names: Names, siteParams: Record<string, unknown> | undefined, cluster: Located<ClusterDoc>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const spec = cluster.doc.spec;
  if (spec.dns && !names.has('DNSZone', spec.dns.zone)) {
    out.push(diagnosticAt(cluster, ['spec', 'dns', 'zone'], 'DanglingReference', `no DNSZone named "${spec.dns.zone}"`));
  }
  spec.addresses.forEach((a, i) => {
    if (!names.has('IPPool', a.pool)) out.push(diagnosticAt(cluster, ['spec', 'addresses', i, 'pool'], 'DanglingReference', `no IPPool named "${a.pool}"`));
  });
  const stepModules = new Map(spec.steps.map((s) => [s.name, moduleOf(catalog, s.module)]));
  const scope: ClusterScope = { cluster, names, siteParams, params: { ...siteParams, ...spec.params }, stepModules };
  spec.steps.forEach((step, i) => {
    const stepPath = ['spec', 'steps', i];
    out.push(...checkStepModule(scope, step, stepPath, moduleOf(catalog, step.module)));
    checkStepReferences(scope, step, stepPath, out);
  });
  return out;
}

function moduleOf(catalog: Catalog, name: string): Located<ModuleDoc> | undefined {
  return Object.hasOwn(catalog.modules, name) ? catalog.modules[name] : undefined;
}

/** The step's module exists, and the step passes exactly the inputs it declares (or defaults). */
function checkStepModule(scope: ClusterScope, step: Step, stepPath: (string | number)[], module: Located<ModuleDoc> | undefined): Diagnostic[] {
  const { cluster, names } = scope;
  if (!module) {
    return names.has('Module', step.module) ? [] : [diagnosticAt(cluster, [...stepPath, 'module'], 'DanglingReference', `no Module named "${step.module}"`)];
  }
  const out: Diagnostic[] = [];
  const declared = module.doc.spec.inputs;
  for (const key of Object.keys(step.with).sort()) {
    if (!Object.hasOwn(declared, key)) {
      out.push(diagnosticAt(cluster, [...stepPath, 'with', key], 'UnknownInput', `module "${step.module}" has no input "${key}" (it declares: ${Object.keys(declared).sort().join(', ') || 'none'})`));
    }
  }
  for (const [input, decl] of Object.entries(declared).sort(([a], [b]) => byCodeUnit(a, b))) {
    if (decl.default === undefined && !Object.hasOwn(step.with, input)) {
      out.push(diagnosticAt(cluster, [...stepPath, 'with', input], 'MissingInput', `module "${step.module}" requires input "${input}" (${decl.type}), which has no default`));
    }
  }
  return out;
}

/** Every input value is well formed, and the param or step output it references exists. */
function checkStepReferences(scope: ClusterScope, step: Step, stepPath: (string | number)[], out: Diagnostic[]): void {
  const { cluster, siteParams, params } = scope;
  for (const [key, value] of Object.entries(step.with)) {
    const valuePath = [...stepPath, 'with', key];
    const input = classifyStepInput(value);
    if (input.type === 'invalid') {
      out.push(...issuesToDiagnostics(cluster, input.issues, valuePath));
      continue;
    }
    if (input.type !== 'reference') continue;
    const source = input.source;
    if ('param' in source && siteParams !== undefined && !Object.hasOwn(params, source.param)) {
      out.push(diagnosticAt(cluster, [...valuePath, 'param'], 'DanglingReference', `no parameter "${source.param}" in the cluster's or the site's params`));
    }
    if ('output' in source) checkOutputReference(scope, source.output, valuePath, out);
  }
}

function checkOutputReference(scope: ClusterScope, reference: string, valuePath: (string | number)[], out: Diagnostic[]): void {
  const { cluster, stepModules } = scope;
  const { step: target, output } = splitOutputRef(reference);
  if (!stepModules.has(target)) {
    out.push(diagnosticAt(cluster, [...valuePath, 'output'], 'DanglingReference', `no step "${target}" in cluster "${cluster.doc.metadata.name}"`));
    return;
  }
  const targetModule = stepModules.get(target);
  if (targetModule && !Object.hasOwn(targetModule.doc.spec.outputs, output)) {
    out.push(diagnosticAt(cluster, [...valuePath, 'output'], 'DanglingReference', `module "${targetModule.doc.metadata.name}" (step "${target}") declares no output "${output}"`));
  }
}

function sorted(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort();
}
