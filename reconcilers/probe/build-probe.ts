/**
 * Turns what the controller wants to know about one node into the probe's request lines. Pure.
 */
import type { DesiredNode, DesiredResource } from '../../controller/model/desired.js';
import { shellCommand } from '../../controller/model/shell-quote.js';
import { PROBE_ARGV } from './probe-script.js';

export type ServiceManager = 'runit' | 'systemd';

export type ProbeRequest =
  | { kind: 'file'; key: string; path: string }
  | { kind: 'directory'; key: string; path: string }
  | { kind: 'service'; key: string; name: string; manager: ServiceManager }
  | { kind: 'creates'; key: string; name: string; path: string }
  | { kind: 'unless'; key: string; name: string; argv: readonly string[] }
  /** The command's tracked run, if one was left on the node (command/run-marker.ts). */
  | { kind: 'run'; key: string; name: string }
  | { kind: 'certificate'; key: string; name: string; certPath: string };

export interface Probe {
  argv: readonly string[];
  stdin: string;
  /** In stdin order: answer i belongs to requests[i]. */
  requests: ProbeRequest[];
}

/** A request value the line protocol cannot carry. */
export class ProbeRequestError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ProbeRequestError';
  }
}

/**
 * @param extraKeys keys to observe beyond the desired ones: the node's managed keys as last seen, so that
 *   resources removed from Git (prune candidates) are observed in the same exec.
 */
export function buildProbe(node: DesiredNode, extraKeys: readonly string[] = []): Probe {
  const requests: ProbeRequest[] = [];
  const desiredKeys = new Set<string>();
  for (const resource of node.resources) {
    desiredKeys.add(resource.key);
    requests.push(...requestsForDesired(resource, node.serviceManager));
  }
  for (const key of [...new Set(extraKeys)].sort()) {
    if (desiredKeys.has(key)) continue;
    const request = requestForKey(key, node.serviceManager);
    if (request) requests.push(request);
  }
  return { argv: PROBE_ARGV, stdin: requests.map(requestLine).join(''), requests };
}

function requestsForDesired(resource: DesiredResource, manager: ServiceManager): ProbeRequest[] {
  const { key, spec } = resource;
  switch (spec.kind) {
    case 'file':
    case 'directory':
      return [{ kind: spec.kind, key, path: spec.path }];
    case 'service':
      return [{ kind: 'service', key, name: spec.name, manager }];
    case 'certificate':
      return [{ kind: 'certificate', key, name: spec.name, certPath: spec.certPath }];
    case 'command': {
      const out: ProbeRequest[] = [{ kind: 'run', key, name: spec.name }];
      if (spec.creates !== undefined) out.push({ kind: 'creates', key, name: spec.name, path: spec.creates });
      if (spec.unless !== undefined) out.push({ kind: 'unless', key, name: spec.name, argv: spec.unless });
      return out;
    }
  }
}

/**
 * A request for a key known only by name (a managed resource no longer in Git). Commands have nothing to
 * observe once their guards are gone, and a certificate's path is not part of its key: neither is asked.
 */
export function requestForKey(key: string, manager: ServiceManager): ProbeRequest | undefined {
  const colon = key.indexOf(':');
  if (colon < 0) return undefined;
  const kind = key.slice(0, colon);
  const identity = key.slice(colon + 1);
  if (kind === 'file' || kind === 'directory') return { kind, key, path: identity };
  if (kind === 'service') return { kind, key, name: identity, manager };
  return undefined;
}

function requestLine(request: ProbeRequest): string {
  const fields = requestFields(request);
  for (const field of fields) {
    if (/[\t\n\r\0]/.test(field)) throw new ProbeRequestError(request.key, `${JSON.stringify(field)} contains a tab, line break or NUL`);
    // `read` strips leading and trailing IFS whitespace (the tab) only, but an empty field would shift the rest.
    if (field === '') throw new ProbeRequestError(request.key, 'empty value');
  }
  return fields.join('\t') + '\n';
}

function requestFields(request: ProbeRequest): string[] {
  switch (request.kind) {
    case 'file':
    case 'directory':
      return [request.kind, request.path];
    case 'service':
      return ['service', request.name, request.manager];
    case 'creates':
      return ['creates', request.name, request.path];
    case 'run':
      return ['run', request.name];
    case 'unless':
      return ['unless', request.name, Buffer.from(shellCommand(request.argv), 'utf8').toString('base64')];
    case 'certificate':
      return ['certificate', request.name, request.certPath];
  }
}
