/**
 * Reads what the probe printed back into facts, the managed record and observed resources. Pure; any
 * answer missing or malformed is an error rather than a guess, because a wrong observation becomes a wrong plan.
 */
import type { ObservedCommand, ObservedResource, ObservedService } from '../../controller/inventory/inventory.js';
import { byCodeUnit } from '../../controller/model/order.js';
import { FramedOutputError, parseFramedRecords } from '../framed-output.js';
import { type ManagedEntries, type ManagedRecordCopy, type ManagedRecordProblem, type ObservedOwner, parseRecordCopy, readManagedRecord } from '../managed-record-format.js';
import { parseRunReport } from '../command/run-marker.js';
import { type DefinitionFile, definitionHash } from '../service/definition.js';
import type { Probe, ProbeRequest } from './build-probe.js';
import { PROBE_FORMAT, PROBE_FORMAT_VERSION } from './probe-script.js';

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
  /** Whom the usable record names as its owner (`none`: a version 1 record); absent without one. */
  owner?: ObservedOwner;
  /** Set when the record itself could not be used (managed then comes from its previous copy, or is empty). */
  managedRecordProblem?: ManagedRecordProblem;
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

export function parseProbeOutput(probe: Probe, stdout: Buffer | string): ProbeObservation {
  let records: string[][];
  try {
    records = parseFramedRecords(typeof stdout === 'string' ? Buffer.from(stdout, 'utf8') : stdout);
  } catch (error) {
    if (error instanceof FramedOutputError) throw new ProbeOutputError(error.message);
    throw error;
  }
  const [header, ...body] = records;
  if (header?.[0] !== PROBE_FORMAT || header[1] !== PROBE_FORMAT_VERSION) {
    throw new ProbeOutputError(`not ${PROBE_FORMAT} version ${PROBE_FORMAT_VERSION} output (first record ${JSON.stringify(header?.slice(0, 2) ?? null)})`);
  }
  const { raw, addresses, answers, copies } = sortRecords(body);
  const { entries: managed, owner, problem } = readManagedRecord(copies.record, copies.prev);

  const resources: Record<string, ObservedResource> = {};
  probe.requests.forEach((request, index) => {
    const answer = answers.get(index);
    if (answer === undefined) throw new ProbeOutputError(`no answer for ${request.kind} request ${index} (${request.key})`);
    mergeAnswer(resources, request, answer);
  });
  const asked = new Set(probe.requests.map((r) => r.key));
  const unobservedManagedKeys = Object.keys(managed)
    .filter((key) => !asked.has(key) && !(key in resources))
    .sort();
  return {
    facts: buildFacts(raw, addresses),
    managed,
    ...(owner ? { owner } : {}),
    ...(problem ? { managedRecordProblem: problem } : {}),
    resources,
    unobservedManagedKeys,
  };
}

interface ProbeRecords {
  raw: Record<string, string>;
  addresses: NodeAddress[];
  answers: Map<number, string[]>;
  copies: Record<'record' | 'prev', ManagedRecordCopy>;
}

/** The records after the header, by kind; the end record must be last, and the record copies present. */
function sortRecords(body: string[][]): ProbeRecords {
  const raw: Record<string, string> = {};
  const addresses: NodeAddress[] = [];
  const answers = new Map<number, string[]>();
  const copies: Partial<Record<'record' | 'prev', ManagedRecordCopy>> = {};
  let ended = false;
  for (const [tag, ...fields] of body) {
    if (ended) throw new ProbeOutputError(`a ${JSON.stringify(tag)} record after the end record`);
    if (tag === 'F' && fields.length === 2) raw[fields[0] as string] = fields[1] as string;
    else if (tag === 'A' && fields.length === 1) {
      const address = parseAddressLine(fields[0] as string);
      if (address) addresses.push(address);
    } else if (tag === 'M' && (fields[0] === 'record' || fields[0] === 'prev')) copies[fields[0]] = recordCopy(fields.slice(1));
    else if (tag === 'R' && fields.length >= 1 && /^\d+$/.test(fields[0] as string)) answers.set(Number(fields[0]), fields.slice(1));
    else if (tag === 'end') ended = true;
    else throw new ProbeOutputError(`unexpected record ${JSON.stringify([tag, ...fields].join(' ').slice(0, 80))}`);
  }
  if (!ended || copies.record === undefined || copies.prev === undefined) throw new ProbeOutputError('the probe did not finish (no end record)');
  return { raw, addresses, answers, copies: { record: copies.record, prev: copies.prev } };
}

function recordCopy(fields: string[]): ManagedRecordCopy {
  const copy = parseRecordCopy(fields);
  if (!copy) throw new ProbeOutputError(`malformed managed-record record ${JSON.stringify(fields.join(' ').slice(0, 80))}`);
  return copy;
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
    .sort((a, b) => byCodeUnit(a.interface, b.interface) || byCodeUnit(a.family, b.family) || byCodeUnit(a.address, b.address))
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
    case 'run':
    case 'creates':
    case 'unless':
      resources[request.key] = commandAnswer(resources[request.key], request, answer);
      return;
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

/** A command's answers (its run, its guards) add up to one observation. */
function commandAnswer(previous: ObservedResource | undefined, request: Extract<ProbeRequest, { kind: 'run' | 'creates' | 'unless' }>, answer: string[]): ObservedCommand {
  const base = previous?.kind === 'command' ? previous : { kind: 'command' as const, name: request.name };
  if (request.kind === 'run') {
    const run = observedRun(request, answer);
    return run === undefined ? base : { ...base, run };
  }
  if (request.kind === 'creates') return { ...base, createsExists: flag(request, answer[0]) };
  const code = answer[0];
  if (code === undefined || !/^\d+$/.test(code)) throw new ProbeOutputError(`${request.key}: bad guard exit code ${JSON.stringify(code)}`);
  return { ...base, unlessExitCode: Number(code) };
}

function observedRun(request: ProbeRequest, answer: string[]): ObservedCommand['run'] {
  let report;
  try {
    report = parseRunReport(answer, request.key);
  } catch (error) {
    throw new ProbeOutputError(error instanceof Error ? error.message : String(error));
  }
  if (report.state === 'none') return undefined;
  const m = report.marker;
  return {
    ...(report.exitCode !== undefined ? { exitCode: report.exitCode } : {}),
    ...(m ? { hash: m.hash } : {}),
    ...(report.lost !== undefined ? { lost: report.lost } : {}),
    ...(m ? { runId: m.runId, startedAt: m.startedAt } : {}),
    state: report.state,
  };
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
    if (!/^[0-7]{1,4}$/.test(mode) || content === '!') return undefined;
    files.push({ path, mode: mode.padStart(4, '0'), content: Buffer.from(content, 'base64').toString('utf8') });
  }
  return files;
}

/** `mode:owner:group:size`, or `-` when stat failed: account names cannot hold a colon (passwd(5) is colon-separated). */
function statFields(text: string | undefined): (string | undefined)[] {
  const parts = (text ?? '').split(':');
  if (parts.length !== 4) return [];
  return parts.map((v) => (v === '' ? undefined : v));
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
