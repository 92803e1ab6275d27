/**
 * What a reader needs to see about one change beyond its reason, as plain lines: attributes, hashes and
 * sizes, and file content (a unified diff when the old content is known). Shared by the text and
 * Markdown renderers so both say the same thing.
 */
import { shortHash } from '../model/sha256.js';
import { isTriggeredBy } from './node-changes.js';
import type { Change, Plan } from './plan.js';
import { planGraph } from './plan-graph.js';
import { unifiedDiff } from './unified-diff.js';
import { byCodeUnit } from '../model/order.js';

/** Content of created files is shown up to this many lines; the rest is summarised. */
export const MAX_CONTENT_LINES = 40;

export interface ChangeDetails {
  /** Short attribute lines. */
  attributes: string[];
  /** Diff-style content lines ('+x', '-y', ' z', '@@ ... @@'), empty when there is nothing to show. */
  content: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

function ownership(r: Record<string, unknown>): string {
  return `mode ${str(r.mode) ?? '?'}, owner ${str(r.owner) ?? '?'}:${str(r.group) ?? '?'}`;
}

function size(n: number | undefined): string {
  return n === undefined ? '? bytes' : `${n} byte${n === 1 ? '' : 's'}`;
}

function clip(lines: string[]): string[] {
  if (lines.length <= MAX_CONTENT_LINES) return lines;
  return [...lines.slice(0, MAX_CONTENT_LINES), `... ${lines.length - MAX_CONTENT_LINES} more lines`];
}

function addedLines(content: string): string[] {
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `+${l}`);
}

/** Bytes given as `contentBase64` are no text to show: a reader gets their size and hash instead of a diff. */
const isBinary = (r: Record<string, unknown>): boolean => typeof r.contentBase64 === 'string';
const binary = (r: Record<string, unknown>): string => `binary, ${size(num(r.size))}, sha256 ${shortHash(str(r.sha256))}`;

function fileDetails(c: Change): ChangeDetails {
  const { before, after } = c;
  if (after && !before) {
    if (isBinary(after)) return { attributes: [`${ownership(after)}, ${binary(after)}`], content: [] };
    return {
      attributes: [`${ownership(after)}, ${size(num(after.size))}, sha256 ${shortHash(str(after.sha256))}`],
      content: clip(addedLines(str(after.content) ?? '')),
    };
  }
  if (after && before) {
    const attributes: string[] = [];
    if (before.sha256 !== after.sha256 && isBinary(after)) {
      attributes.push(`sha256 ${shortHash(str(before.sha256))} (${size(num(before.size))}) -> ${binary(after)}`);
    } else if (before.sha256 !== after.sha256) {
      attributes.push(`sha256 ${shortHash(str(before.sha256))} (${size(num(before.size))}) -> ${shortHash(str(after.sha256))} (${size(num(after.size))})`);
    }
    attributes.push(ownership(after));
    const oldContent = str(before.content);
    const newContent = str(after.content);
    const diff = oldContent !== undefined && newContent !== undefined && oldContent !== newContent ? unifiedDiff(oldContent, newContent) : null;
    return { attributes, content: diff ? clip(diff) : [] };
  }
  return { attributes: before ? [`${ownership(before)}, ${size(num(before.size))}, sha256 ${shortHash(str(before.sha256))}`] : [], content: [] };
}

function serviceDetails(c: Change): ChangeDetails {
  const after = c.after;
  if (!after || !Array.isArray(after.files)) return { attributes: [], content: [] };
  const files = after.files as { path: string; content: string }[];
  const attributes = [`${str(after.serviceManager) ?? ''} definition sha256 ${shortHash(str(after.definitionHash))}, ${after.enabled ? 'enabled' : 'disabled'}`];
  const content = files.flatMap((f) => [`@@ ${f.path} @@`, ...addedLines(f.content)]);
  return { attributes, content: c.action === 'restart' ? [] : clip(content) };
}

function commandDetails(c: Change): ChangeDetails {
  const after = c.after;
  if (!after || !Array.isArray(after.argv)) return { attributes: [], content: [] };
  const attributes = [`argv ${JSON.stringify(after.argv)}`];
  if (after.creates !== undefined) attributes.push(`creates ${str(after.creates)}`);
  if (after.unless !== undefined) attributes.push(`unless ${JSON.stringify(after.unless)}`);
  return { attributes, content: [] };
}

function certificateDetails(c: Change): ChangeDetails {
  const a = c.after;
  if (!a) return { attributes: [], content: [] };
  const sans = [...list(a.dnsNames).map((d) => `DNS:${d}`), ...list(a.ipAddresses).map((i) => `IP:${i}`)];
  return {
    attributes: [
      `CN ${str(a.commonName)}, CA ${str(a.ca)}, usages ${list(a.usages).join('+')}, ${str(a.keyType)}, ${num(a.validityDays)} days`,
      ...(sans.length > 0 ? [`SANs ${sans.join(', ')}`] : []),
      `key ${str(a.keyPath)} (stays on the node), certificate ${str(a.certPath)}`,
    ],
    content: [],
  };
}

function serviceResourceDetails(c: Change): ChangeDetails {
  const a = c.after;
  if (!a) return { attributes: [], content: [] };
  if (c.kind === 'ip') return { attributes: [`${str(a.name)} = ${str(a.address)} (pool ${str(a.pool)})`], content: [] };
  return { attributes: [`${str(a.name)} ${num(a.ttl)} IN ${str(a.type)} ${str(a.value)}`], content: [] };
}

export function changeDetails(c: Change): ChangeDetails {
  switch (c.kind) {
    case 'file':
      return fileDetails(c);
    case 'directory':
      return { attributes: c.after ? [ownership(c.after)] : [], content: [] };
    case 'service':
      return serviceDetails(c);
    case 'command':
      return commandDetails(c);
    case 'certificate':
      return certificateDetails(c);
    case 'ip':
    case 'dns':
      return serviceResourceDetails(c);
  }
}

export const ACTION_SYMBOL: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', restart: '↻', run: '»' };

export function summaryLine(s: { create: number; update: number; delete: number; restart: number; run: number }): string {
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.restart} to restart, ${s.run} to run.`;
}

/** Among changes free to go in any order, the one a reader expects first: what others live in comes first. */
const KIND_RANK: Record<Change['kind'], number> = { directory: 0, file: 1, certificate: 1, service: 2, command: 2, ip: 0, dns: 1 };

/**
 * A plan's changes in dependency order (topological over its edges): directories before the files in them,
 * files before the services and commands that use them. The plan itself stays sorted by id (its JSON and
 * hash are fixed); only renderings list changes this way. A plan whose graph is broken keeps its own order.
 */
export function dependencyOrder(changes: readonly Change[]): Change[] {
  const ranked = [...changes].sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind]);
  const graph = planGraph(ranked);
  if (!graph.ok) return [...changes];
  const byId = new Map(changes.map((c) => [c.id, c]));
  return graph.order.map((id) => byId.get(id)!);
}

/**
 * The changes a change's "after" line names. A command's names only the changes that trigger it (its
 * onChangeOf resources): its other edges order it after its step's content, which the dependency order of
 * the listing shows already, and on a command's line they read as causes.
 */
export function shownDependencies(c: Change, byId: ReadonlyMap<string, Change>): string[] {
  if (c.kind !== 'command') return c.dependsOn;
  return c.dependsOn.filter((id) => {
    const d = byId.get(id);
    return d !== undefined && d.node === c.node && isTriggeredBy(c, d.key);
  });
}

/** Changes grouped by node (or service target), each group in dependency order. */
export function changesByNode(changes: readonly Change[]): [string, Change[]][] {
  const groups = new Map<string, Change[]>();
  for (const c of dependencyOrder(changes)) {
    const g = groups.get(c.node);
    if (g) g.push(c);
    else groups.set(c.node, [c]);
  }
  return [...groups.entries()].sort(([a], [b]) => byCodeUnit(a, b));
}

export const EMPTY_NODES_BANNER =
  'PLANNED AGAINST EMPTY NODES: nothing was observed, so every resource is assumed missing and this plan says nothing about what is really on the nodes (give --inventory FILE, or --secrets-dir/--live to observe them).';

/** Why "the nodes match" cannot be said of an empty plan, or null when it can. */
export function unverifiedReason(plan: Pick<Plan, 'observation' | 'warnings'>): string | null {
  if (plan.observation === 'none') return 'nothing was observed (see the banner above)';
  if (plan.warnings?.length) return 'not every node was checked (see the warnings above)';
  return null;
}

export const WORKTREE_BANNER = 'UNCOMMITTED WORKTREE: this plan was made from files not committed to Git; nobody has reviewed them.';
