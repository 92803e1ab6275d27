/**
 * Turns what the controller wants to know about one node into the probe's request lines, each asked by
 * the kind of the resource (its probe facet). Pure.
 */
import { UnderlayError } from '../../controller/model/errors.js';
import type { DesiredNode } from '../../controller/model/desired.js';
import { keyIdentity, keyKind } from '../../controller/model/resource-key.js';
import type { ProbeRequest, SecretProbeKeys } from '../kind.js';
import type { KindRegistry } from '../registry.js';
import { probeArgv } from './probe-script.js';

export interface Probe {
  argv: readonly string[];
  /** The request lines twice, the copies parted by an empty line (no request line is empty): see probe-script.ts. */
  stdin: string;
  /** In stdin order: answer i belongs to requests[i]. */
  requests: ProbeRequest[];
}

/** A request value the line protocol cannot carry. */
export class ProbeRequestError extends UnderlayError<{ key: string }> {
  constructor(key: string, message: string) {
    super({ code: 'ProbeRequestInvalid', message: `${key}: ${message}`, data: { key } });
  }
}

/**
 * @param extraKeys keys to observe beyond the desired ones: the node's managed keys as last seen, so that
 *   resources removed from Git (prune candidates) are observed in the same exec.
 * @param secretKeys the digest keys of the controller secrets the node's resources compare with (observe
 *   derives them from the secret store); without them such content is reported as not compared.
 */
export function buildProbe(registry: KindRegistry, node: DesiredNode, extraKeys: readonly string[] = [], secretKeys?: SecretProbeKeys): Probe {
  const requests: ProbeRequest[] = [];
  const probeNode = { serviceManager: node.serviceManager, secretKeys };
  const desiredKeys = new Set<string>();
  for (const { key, spec } of node.resources) {
    desiredKeys.add(key);
    const kind = registry.nodeKind(spec.kind);
    if (!kind) throw new ProbeRequestError(key, `no kind ${JSON.stringify(spec.kind)} to observe it`);
    for (const ask of kind.probe.requests(spec, probeNode)) requests.push({ key, kind: kind.kind, ...ask });
  }
  for (const key of [...new Set(extraKeys)].sort()) {
    if (!desiredKeys.has(key)) requests.push(...requestsForKey(registry, key, node));
  }
  const lines = requests.map(requestLine).join('');
  return { argv: probeArgv(registry.nodeKinds), stdin: `${lines}\n${lines}`, requests };
}

/**
 * The requests for a key known only by name (a managed resource no longer in Git): none when its kind can
 * observe nothing from the identity alone (a command, whose guards are gone with it).
 */
export function requestsForKey(registry: KindRegistry, key: string, node: Pick<DesiredNode, 'serviceManager'>): ProbeRequest[] {
  const kind = registry.nodeKind(keyKind(key));
  if (!kind?.probe.requestsForIdentity) return [];
  return kind.probe.requestsForIdentity(keyIdentity(key), node).map((ask) => ({ key, kind: kind.kind, ...ask }));
}

function requestLine(request: ProbeRequest): string {
  const fields = [request.tag, ...request.args];
  for (const field of fields) {
    if (/[\t\n\r\0]/.test(field)) throw new ProbeRequestError(request.key, `${JSON.stringify(field)} contains a tab, line break or NUL`);
    // `read` strips leading and trailing IFS whitespace (the tab) only, but an empty field would shift the rest.
    if (field === '') throw new ProbeRequestError(request.key, 'empty value');
  }
  return fields.join('\t') + '\n';
}
