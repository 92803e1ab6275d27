/**
 * Reads what the probe printed back into facts, the managed record and observed resources. Pure; any
 * answer missing or malformed is an error rather than a guess, because a wrong observation becomes a wrong plan.
 */
import type { ObservedResource, ObservedService } from '../../controller/inventory/inventory.js';
import { type ManagedEntries, ManagedRecordError, parseManagedRecord } from '../managed-record-format.js';
import { type DefinitionFile, definitionHash } from '../service/definition.js';
import type { Probe, ProbeRequest } from './build-probe.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface NodeAddress {
  interface: string;
  family: 'inet' | 'inet6';
  address: string;
  prefixLength: number;
}

export interface ProbeObservation {
  /** hostname, os {id, versionId}, arch, kernel, addresses, serviceManager. */
  facts: Record<string, JsonValue>;
  managed: ManagedEntries;
  resources: Record<string, ObservedResource>;
  /** Managed keys the probe was not asked about (prune candidates nobody hinted at): probe them next. */
  unobservedManagedKeys: string[];
}

export class ProbeOutputError extends Error {
  constructor(message: string) {
    super(`probe output: ${message}`);
    this.name = 'ProbeOutputError';
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

export function parseProbeOutput(probe: Probe, stdout: string): ProbeObservation {
  const raw: Record<string, string> = {};
  const addresses: NodeAddress[] = [];
  const answers = new Map<number, string[]>();
  let managedText: string | null | undefined;
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [tag, ...fields] = line.split('\t');
    if (tag === 'F' && fields.length >= 1) raw[fields[0] as string] = fields.slice(1).join('\t');
    else if (tag === 'A') {
      const address = parseAddressLine(fields.join('\t'));
      if (address) addresses.push(address);
    } else if (tag === 'M') managedText = decodeManaged(fields[0] ?? '');
    else if (tag === 'R') answers.set(Number(fields[0]), fields.slice(1));
    else throw new ProbeOutputError(`unexpected line ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (managedText === undefined) throw new ProbeOutputError('no managed-record line (the probe did not finish)');
  let managed: ManagedEntries = {};
  try {
    if (managedText !== null) managed = parseManagedRecord(managedText);
  } catch (error) {
    if (error instanceof ManagedRecordError) throw new ProbeOutputError(error.message);
    throw error;
  }

  const resources: Record<string, ObservedResource> = { ...probe.known };
  probe.requests.forEach((request, index) => {
    const answer = answers.get(index);
    if (answer === undefined) throw new ProbeOutputError(`no answer for ${request.kind} request ${index} (${request.key})`);
    mergeAnswer(resources, request, answer);
  });
  const asked = new Set(probe.requests.map((r) => r.key));
  const unobservedManagedKeys = Object.keys(managed)
    .filter((key) => !asked.has(key) && !(key in resources))
    .sort();
  return { facts: buildFacts(raw, addresses), managed, resources, unobservedManagedKeys };
}

function decodeManaged(field: string): string | null {
  if (field === '-') return null;
  if (field === '' || field.endsWith('!')) throw new ProbeOutputError('managed record exists but could not be read');
  return Buffer.from(field, 'base64').toString('utf8');
}

function buildFacts(raw: Record<string, string>, addresses: NodeAddress[]): Record<string, JsonValue> {
  const facts: Record<string, JsonValue> = {};
  if (raw.hostname !== undefined) facts.hostname = raw.hostname;
  const os: Record<string, JsonValue> = {};
  if (raw['os-id'] !== undefined) os.id = unquote(raw['os-id']);
  if (raw['os-version'] !== undefined) os.versionId = unquote(raw['os-version']);
  facts.os = os;
  if (raw.arch !== undefined) facts.arch = raw.arch;
  if (raw.kernel !== undefined) facts.kernel = raw.kernel;
  facts.addresses = addresses
    .sort((a, b) => a.interface.localeCompare(b.interface) || a.family.localeCompare(b.family) || a.address.localeCompare(b.address))
    .map((a) => ({ ...a }));
  const manager = raw['service-manager'];
  if (manager === 'runit' || manager === 'systemd') facts.serviceManager = manager;
  return facts;
}

/** os-release values may be quoted ("12" or '12'). */
function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return m ? (m[2] as string) : value;
}

/** `2: eth0    inet 198.18.0.2/24 brd ... scope global eth0\       valid_lft ...` */
export function parseAddressLine(line: string): NodeAddress | undefined {
  const m = /^\d+:\s+(\S+)\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)/.exec(line);
  if (!m) return undefined;
  return { interface: m[1] as string, family: m[2] as 'inet' | 'inet6', address: m[3] as string, prefixLength: Number(m[4]) };
}

function field(answer: string[], i: number): string | undefined {
  const v = answer[i];
  return v === undefined || v === '-' || v === '' ? undefined : v;
}

function flag(request: ProbeRequest, value: string | undefined): boolean {
  if (value === '1') return true;
  if (value === '0') return false;
  throw new ProbeOutputError(`${request.key}: expected 0 or 1, got ${JSON.stringify(value)}`);
}

function mergeAnswer(resources: Record<string, ObservedResource>, request: ProbeRequest, answer: string[]): void {
  if (answer[0] === 'unknown') throw new ProbeOutputError(`${request.key}: the probe does not know request kind ${request.kind}`);
  switch (request.kind) {
    case 'file': {
      if (answer[0] === 'other') resources[request.key] = { kind: 'file', path: request.path, exists: true };
      else if (!flag(request, answer[0])) resources[request.key] = { kind: 'file', path: request.path, exists: false };
      else {
        const sha256 = field(answer, 1);
        const [mode, owner, group, size] = statFields(answer[2]);
        resources[request.key] = {
          kind: 'file',
          path: request.path,
          exists: true,
          ...(sha256 !== undefined && SHA256.test(sha256) ? { sha256 } : {}),
          ...(size !== undefined && /^\d+$/.test(size) ? { size: Number(size) } : {}),
          ...ownership(mode, owner, group),
        };
      }
      return;
    }
    case 'directory': {
      if (answer[0] === 'other') resources[request.key] = { kind: 'directory', path: request.path, exists: true };
      else if (!flag(request, answer[0])) resources[request.key] = { kind: 'directory', path: request.path, exists: false };
      else {
        const [mode, owner, group] = statFields(answer[1]);
        resources[request.key] = { kind: 'directory', path: request.path, exists: true, ...ownership(mode, owner, group) };
      }
      return;
    }
    case 'service':
      resources[request.key] = parseService(request, answer);
      return;
    case 'creates':
    case 'unless': {
      const previous = resources[request.key];
      const base = previous?.kind === 'command' ? previous : { kind: 'command' as const, name: request.name };
      if (request.kind === 'creates') resources[request.key] = { ...base, createsExists: flag(request, answer[0]) };
      else {
        const code = answer[0];
        if (code === undefined || !/^\d+$/.test(code)) throw new ProbeOutputError(`${request.key}: bad guard exit code ${JSON.stringify(code)}`);
        resources[request.key] = { ...base, unlessExitCode: Number(code) };
      }
      return;
    }
    case 'certificate': {
      if (answer[0] === 'other' || !flag(request, answer[0])) {
        resources[request.key] = { kind: 'certificate', name: request.name, exists: answer[0] === 'other' };
        return;
      }
      const notAfter = isoTime(field(answer, 1));
      const fingerprint = field(answer, 2)?.replaceAll(':', '').toLowerCase();
      resources[request.key] = {
        kind: 'certificate',
        name: request.name,
        exists: true,
        ...(notAfter !== undefined ? { notAfter } : {}),
        ...(fingerprint !== undefined && SHA256.test(fingerprint) ? { fingerprint } : {}),
      };
      return;
    }
  }
}

function parseService(request: Extract<ProbeRequest, { kind: 'service' }>, answer: string[]): ObservedService {
  const exists = flag(request, answer[0]);
  const state = field(answer, 1);
  const pidText = field(answer, 3);
  const pid = pidText !== undefined && /^\d+$/.test(pidText) && Number(pidText) > 0 ? Number(pidText) : undefined;
  const running = request.manager === 'systemd' ? state === 'active' : state === 'run';
  const enabled = request.manager === 'systemd' ? field(answer, 2) === 'enabled' : flag(request, answer[2]);
  const files = definitionFiles(request, answer.slice(4));
  return {
    kind: 'service',
    name: request.name,
    exists,
    ...(exists && files !== undefined ? { definitionHash: definitionHash(files) } : {}),
    running,
    enabled,
    ...(running && pid !== undefined ? { pid } : {}),
  };
}

/** (path, mode, base64) triples; undefined when one could not be read, so no hash is claimed. */
function definitionFiles(request: ProbeRequest, fields: string[]): DefinitionFile[] | undefined {
  if (fields.length % 3 !== 0) throw new ProbeOutputError(`${request.key}: malformed definition file list`);
  const files: DefinitionFile[] = [];
  for (let i = 0; i < fields.length; i += 3) {
    const [path, mode, content] = fields.slice(i, i + 3) as [string, string, string];
    if (!/^[0-7]{1,4}$/.test(mode) || content.endsWith('!')) return undefined;
    files.push({ path, mode: mode.padStart(4, '0'), content: Buffer.from(content, 'base64').toString('utf8') });
  }
  return files;
}

function statFields(text: string | undefined): (string | undefined)[] {
  return (text ?? '').split(' ').map((v) => (v === '-' || v === '' ? undefined : v));
}

function ownership(mode: string | undefined, owner: string | undefined, group: string | undefined) {
  return {
    ...(mode !== undefined && /^[0-7]{1,4}$/.test(mode) ? { mode: mode.padStart(4, '0') } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(group !== undefined ? { group } : {}),
  };
}

/** openssl prints `Nov 25 21:37:00 2026 GMT`; the inventory keeps ISO 8601. */
function isoTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}
