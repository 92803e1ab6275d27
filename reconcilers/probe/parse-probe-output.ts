/**
 * Reads what the probe printed back into facts, the managed record and observed resources. Pure; any
 * answer missing or malformed is an error rather than a guess, because a wrong observation becomes a wrong plan.
 */
import type { ManagedRecordProblem, ObservedResource } from '../../controller/model/observed.js';
import type { ObservedFact } from '../../controller/model/observed-facts.js';
import { byCodeUnit } from '../../controller/model/order.js';
import { FramedOutputError, parseFramedRecords } from '../framed-output.js';
import type { ProbeRequest } from '../kind.js';
import { type ManagedEntries, type ManagedRecordCopy, type ObservedOwner, parseRecordCopy, readManagedRecord } from '../managed-record-format.js';
import type { KindRegistry } from '../registry.js';
import { ProbeOutputError } from './answer-fields.js';
import type { Probe } from './build-probe.js';
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

export function parseProbeOutput(registry: KindRegistry, probe: Probe, stdout: Buffer | string): ProbeObservation {
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
    if (answer === undefined) throw new ProbeOutputError(`no answer for ${request.tag} request ${index} (${request.key})`);
    mergeAnswer(registry, resources, request, answer);
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

type PartialRecords = Omit<ProbeRecords, 'copies'> & { copies: Partial<ProbeRecords['copies']> };

/** Per record tag, what its fields add to the records; false when they do not fit the tag. */
const RECORD_READERS: Record<string, (fields: string[], into: PartialRecords) => boolean> = {
  F(fields, into) {
    if (fields.length !== 2) return false;
    into.raw[fields[0]!] = fields[1]!;
    return true;
  },
  A(fields, into) {
    if (fields.length !== 1) return false;
    const address = parseAddressLine(fields[0]!);
    if (address) into.addresses.push(address);
    return true;
  },
  M(fields, into) {
    const which = fields[0];
    if (which !== 'record' && which !== 'prev') return false;
    into.copies[which] = recordCopy(fields.slice(1));
    return true;
  },
  R(fields, into) {
    if (fields.length < 1 || !/^\d+$/.test(fields[0]!)) return false;
    into.answers.set(Number(fields[0]), fields.slice(1));
    return true;
  },
};

/** The records after the header, by kind; the end record must be last, and the record copies present. */
function sortRecords(body: string[][]): ProbeRecords {
  const into: PartialRecords = { raw: {}, addresses: [], answers: new Map(), copies: {} };
  let ended = false;
  for (const [tag = '', ...fields] of body) {
    if (ended) throw new ProbeOutputError(`a ${JSON.stringify(tag)} record after the end record`);
    if (tag === 'end') {
      ended = true;
      continue;
    }
    const read = Object.hasOwn(RECORD_READERS, tag) ? RECORD_READERS[tag]! : undefined;
    if (!read?.(fields, into)) throw new ProbeOutputError(`unexpected record ${JSON.stringify([tag, ...fields].join(' ').slice(0, 80))}`);
  }
  const { record, prev } = into.copies;
  if (!ended || record === undefined || prev === undefined) throw new ProbeOutputError('the probe did not finish (no end record)');
  return { ...into, copies: { record, prev } };
}

function recordCopy(fields: string[]): ManagedRecordCopy {
  const copy = parseRecordCopy(fields);
  if (!copy) throw new ProbeOutputError(`malformed managed-record record ${JSON.stringify(fields.join(' ').slice(0, 80))}`);
  return copy;
}

function buildFacts(raw: Record<string, string>, addresses: NodeAddress[]): Partial<Record<ObservedFact, JsonValue>> {
  const facts: Partial<Record<ObservedFact, JsonValue>> = {};
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

/** An answer read by the kind that asked; answers of one key (a command's guards and run) add up to one observation. */
function mergeAnswer(registry: KindRegistry, resources: Record<string, ObservedResource>, request: ProbeRequest, answer: string[]): void {
  if (answer[0] === 'unknown') throw new ProbeOutputError(`${request.key}: the probe does not know request kind ${request.tag}`);
  const kind = registry.nodeKind(request.kind);
  if (!kind) throw new ProbeOutputError(`${request.key}: no kind ${JSON.stringify(request.kind)} reads its answer`);
  const previous = resources[request.key];
  resources[request.key] = kind.probe.parse(request, answer, previous?.kind === kind.kind ? previous : undefined);
}
