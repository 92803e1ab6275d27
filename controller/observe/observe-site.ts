/**
 * Observe: one probe exec per node (bounded concurrency across nodes) -> an Inventory snapshot. A node
 * that cannot be observed is recorded as unreachable with the reason (naming the node; for a refused host
 * key, both fingerprints, from the transport's error), so the planner can skip it visibly.
 */
import { Limiter } from '../transport/concurrency.js';
import type { NodeEndpoint, Transport } from '../transport/transport.js';
import type { Clock } from '../clock.js';
import { INVENTORY_API_VERSION, type Inventory, type InventoryNode, type InventoryZone } from '../model/observed.js';
import type { Desired, DesiredNode } from '../model/desired.js';
import { buildProbe, requestsForKey } from '../../reconcilers/probe/build-probe.js';
import { parseProbeOutput } from '../../reconcilers/probe/parse-probe-output.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { byCodeUnit } from '../model/order.js';
import type { ServiceTargetProviders } from '../targets/target-providers.js';
import type { ZoneTargetProvider } from '../targets/zone-provider.js';
import { toErrorRecord, UnderlayError } from '../model/errors.js';
import { secretProbeKeys, type SecretSource } from '../secrets/secret-source.js';
import { zoneNotServed } from '../pipeline/zone-findings.js';

/** The probe ran but did not finish: the node's shell or tools failed it. */
const probeFailed = (node: string, message: string): UnderlayError<{ node: string }> => new UnderlayError({ code: 'ProbeFailed', message, data: { node } });

export interface ObserveSiteOptions {
  desired: Desired;
  /** The resource kinds: each observes its own resources (reconcilers/registry.ts). */
  registry: KindRegistry;
  transport: Transport;
  /** How the service targets are read: pools from the ledger, zones from their provider. Without one, a target type is not observed (empty). */
  targets?: ServiceTargetProviders;
  /** Nodes probed at once. */
  concurrency: number;
  clock: Clock;
  /**
   * The last inventory, if any: its managed keys are probed along with the desired ones, so a resource
   * removed from Git is observed in the same exec. Managed keys it does not know cost one more exec.
   */
  previous?: Inventory;
  /** Per probe exec. Default 60 s. */
  timeoutMs?: number;
  /** The site's secrets: what secret files on the nodes are compared with (keyed digests). Without it they are not compared. */
  secrets?: SecretSource;
}

export async function observeSite(options: ObserveSiteOptions): Promise<Inventory> {
  const { desired, transport, clock, registry } = options;
  const limiter = new Limiter(options.concurrency);
  const byName = new Map(desired.nodes.map((n) => [n.name, n]));
  const observedAt = clock.now().toISOString();
  const entries = await Promise.all(
    desired.nodes.map((node) =>
      limiter.run(async (): Promise<[string, InventoryNode]> => {
        try {
          const hint = Object.keys(options.previous?.nodes[node.name]?.managed ?? {});
          const endpoint = endpointOf(node, byName);
          const secrets = options.secrets;
          return [node.name, await observeNode({ registry, transport, endpoint, node, managedHint: hint, timeoutMs: options.timeoutMs ?? 60_000, ...(secrets ? { secrets } : {}) })];
        } catch (error) {
          return [node.name, { reachable: false, error: describeFailure(node.name, error), errorCode: toErrorRecord(error).code, facts: {}, managed: {}, resources: {} }];
        }
      }),
    ),
  );
  const nodes = Object.fromEntries(entries.sort(([a], [b]) => byCodeUnit(a, b)));
  return {
    apiVersion: INVENTORY_API_VERSION,
    kind: 'Inventory',
    observedAt,
    nodes,
    // Every pool of the ledger, also one Git no longer names: what it holds is underlay's, so it is pruned.
    pools: (await options.targets?.pool?.observe()) ?? {},
    zones: await observeZones(desired, options.targets?.zone, nodes),
  };
}

/**
 * Every DNSZone of the site, each as its provider reads it: the records this site owns, and of the others'
 * only those at a name and type Git wants (the conflicts the plan must show). A zone whose server is a node
 * of the site that does not run it yet is not served, rather than unreadable (zone-findings.ts).
 */
async function observeZones(desired: Desired, provider: ZoneTargetProvider | undefined, nodes: Record<string, InventoryNode>): Promise<Record<string, InventoryZone>> {
  if (!provider) return {};
  const wanted = new Set(desired.services.filter((s) => s.target.type === 'zone').map((s) => s.key));
  const zones = Object.entries(desired.zones ?? {}).sort(([a], [b]) => byCodeUnit(a, b));
  const observed = await Promise.all(
    zones.map(async ([name, at]): Promise<[string, InventoryZone]> => {
      const { heldElsewhere = {}, editedOutside = [], writtenMarks = {}, ...zone } = await provider.observe(name, at);
      const notServed = zone.unreadable ? zoneNotServed(at, nodes) : undefined;
      if (notServed !== undefined) return [name, { records: {}, notServed: `${notServed} (reading it: ${zone.unreadable!.code}: ${zone.unreadable!.message})` }];
      const conflicts = Object.entries(heldElsewhere).filter(([nameAndType]) => wanted.has(`dns:${name}/${nameAndType}`));
      return [name, { ...zone, ...(conflicts.length > 0 ? { heldElsewhere: Object.fromEntries(conflicts) } : {}), ...(editedOutside.length > 0 ? { editedOutside } : {}), ...(Object.keys(writtenMarks).length > 0 ? { writtenMarks } : {}) }];
    }),
  );
  return Object.fromEntries(observed);
}

export interface ObserveNodeOptions {
  registry: KindRegistry;
  transport: Transport;
  endpoint: NodeEndpoint;
  node: DesiredNode;
  /** Managed keys last seen (prune candidates), probed in the same exec. */
  managedHint: readonly string[];
  timeoutMs: number;
  secrets?: SecretSource;
}

export async function observeNode(options: ObserveNodeOptions): Promise<InventoryNode> {
  const { registry, transport, endpoint, node, managedHint, timeoutMs } = options;
  const probe = buildProbe(registry, node, managedHint, await probeKeysOf(registry, node, options.secrets));
  const result = await transport.exec(endpoint, probe.argv, { stdin: probe.stdin, timeoutMs });
  if (result.code !== 0) {
    throw probeFailed(endpoint.name, `probe exited ${result.code}: ${result.stderr.toString('utf8').trim().split('\n').slice(-5).join('\n') || result.message || ''}`);
  }
  const observation = parseProbeOutput(registry, probe, result.stdout);
  const resources = { ...observation.resources };
  // Managed keys nobody hinted at: resources pruned from Git since the last snapshot; observe them too.
  const missing = observation.unobservedManagedKeys.filter((key) => requestsForKey(registry, key, node).length > 0);
  if (missing.length > 0) {
    const second = buildProbe(registry, { ...node, resources: [] }, missing);
    const again = await transport.exec(endpoint, second.argv, { stdin: second.stdin, timeoutMs });
    if (again.code !== 0) throw probeFailed(endpoint.name, `probe of managed resources exited ${again.code}`);
    Object.assign(resources, parseProbeOutput(registry, second, again.stdout).resources);
  }
  const { managedRecordProblem: problem, owner } = observation;
  return {
    reachable: true,
    facts: observation.facts,
    managed: observation.managed,
    ...(problem ? { managedRecordProblem: problem } : {}),
    ...(owner ? { owner } : {}),
    resources: sortKeys(resources),
  };
}

/** The digest keys of the controller secrets the node's resources compare with, derived for this node. */
async function probeKeysOf(registry: KindRegistry, node: DesiredNode, secrets: SecretSource | undefined) {
  if (!secrets) return undefined;
  const uses = node.resources.flatMap(({ spec }) => registry.nodeKind(spec.kind)?.probe.secrets?.(spec) ?? []);
  return secretProbeKeys(secrets, node.name, uses);
}

/** A node's endpoint, with its bastion chain. */
export function endpointOf(node: DesiredNode, byName: ReadonlyMap<string, DesiredNode>, seen: ReadonlySet<string> = new Set()): NodeEndpoint {
  const endpoint: NodeEndpoint = { name: node.name, address: node.address, port: node.port, user: node.user, hostKey: node.hostKey };
  if (node.via === undefined) return endpoint;
  const bastion = byName.get(node.via);
  if (!bastion) throw new Error(`node ${node.name}: bastion ${node.via} is not a node of the site`);
  if (seen.has(node.name)) throw new Error(`node ${node.name}: bastion chain loops`);
  return { ...endpoint, via: endpointOf(bastion, byName, new Set([...seen, node.name])) };
}

/** Transport errors already name the node (and a host-key mismatch both fingerprints); others get it added. */
function describeFailure(node: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.includes(node) ? message : `node ${node}: ${message}`;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => byCodeUnit(a, b)));
}
