/**
 * A node's health gates and drain steps rendered from their declarations (a module's `health`, `drain`,
 * `undrain`; a Site's or Cluster's `rollout.gates`): every text a template with the same scope as the
 * module's resources, argv held to the shell-safety rules of commands, a node named by `from` or `on` one
 * of the site's. Pure; problems go to the sink at the field.
 */
import type { DesiredGate, DrainStep } from '../model/health-gate.js';
import { durationSeconds } from '../spec/duration.js';
import type { DrainStep as DrainStepDoc, HealthGate } from '../spec/health-gate.js';
import { fieldPath } from '../spec/diagnostic.js';
import type { RenderContext, RenderedText } from '../../reconcilers/kind.js';
import { renderContextAt, type RenderPlace } from './render-module.js';
import { selectNodes, type SelectableNode } from '../spec/node-selector.js';

type Path = (string | number)[];

export interface GateRenderPlace extends RenderPlace {
  /** Every node of the site: `from` and `on` must name one. */
  nodeNames: ReadonlySet<string>;
  /** The same nodes, sorted by name, for an `on` selector. */
  nodes: readonly SelectableNode[];
  /** Who declared them, for the plan: `module etcd (step etcd)`, `cluster lab`, `site`. */
  origin: string;
}

function report(place: GateRenderPlace, code: 'DanglingReference' | 'DuplicateName' | 'SchemaViolation', message: string, path: Path): void {
  place.sink.error(code, message, { location: place.module.locate(path), field: fieldPath(path), node: place.scope.node.name });
}

/** A rendered node name (`from`, `on`); null when it names no node of the site. */
function nodeName(place: GateRenderPlace, at: { ctx: RenderContext; path: Path }, template: string, field: string): string | null {
  const { ctx, path } = at;
  const name = ctx.text(template, [field])?.text;
  if (name === undefined) return null;
  if (place.nodeNames.has(name)) return name;
  // The rendered name is left out: it may differ per node, and one message is merged over all nodes.
  report(place, 'DanglingReference', `once rendered, ${field} names no Node of the site`, [...path, field]);
  return null;
}

/** An argv rendered and checked like a command's: argv[0] a program, no value becoming code. */
function argvOf(ctx: RenderContext, templates: readonly string[], field: string): string[] | null {
  const argv = ctx.texts(templates, [field]);
  if (!argv) return null;
  if (ctx.program(templates[0]!, argv[0]!.text, [field, 0]) === null) return null;
  ctx.checkArgv(argv, [field], 0);
  return argv.map((a: RenderedText) => a.text);
}

function optionalText(ctx: RenderContext, template: string | undefined, field: string[]): string | undefined | null {
  return template === undefined ? undefined : (ctx.text(template, field)?.text ?? null);
}

function renderTcp(place: GateRenderPlace, gate: NonNullable<HealthGate['tcp']>, path: Path): DesiredGate | null {
  const ctx = renderContextAt(place, path);
  const host = gate.host === undefined ? place.scope.node.address : ctx.text(gate.host, ['host'])?.text;
  const portText = typeof gate.port === 'number' ? String(gate.port) : ctx.text(gate.port, ['port'])?.text;
  const from = gate.from === undefined ? undefined : nodeName(place, { ctx, path }, gate.from, 'from');
  if (host === undefined || portText === undefined || from === null) return null;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    report(place, 'SchemaViolation', 'once rendered, port is not a port (1 to 65535)', [...path, 'port']);
    return null;
  }
  return { type: 'tcp', host, port, ...(from !== undefined ? { from } : {}) } as DesiredGate;
}

function renderHttp(place: GateRenderPlace, gate: NonNullable<HealthGate['http']>, path: Path): DesiredGate | null {
  const ctx = renderContextAt(place, path);
  const url = ctx.text(gate.url, ['url'])?.text;
  const body = optionalText(ctx, gate.body, ['body']);
  const caCertificate = optionalText(ctx, gate.caCertificate, ['caCertificate']);
  const from = gate.from === undefined ? undefined : nodeName(place, { ctx, path }, gate.from, 'from');
  if (url === undefined || body === null || caCertificate === null || from === null) return null;
  if (!/^https?:\/\/[^\s/]+/.test(url)) {
    report(place, 'SchemaViolation', 'once rendered, url is not an http:// or https:// URL', [...path, 'url']);
    return null;
  }
  if (caCertificate !== undefined && !url.startsWith('https://')) {
    report(place, 'SchemaViolation', 'caCertificate pins the CA of an HTTPS answer: the url must be https://', [...path, 'caCertificate']);
    return null;
  }
  const out = { type: 'http', url, status: gate.status, ...(body !== undefined ? { body } : {}), ...(caCertificate !== undefined ? { caCertificate } : {}), ...(from !== undefined ? { from } : {}) };
  return out as DesiredGate;
}

function renderCheck(place: GateRenderPlace, gate: HealthGate, path: Path): DesiredGate | null {
  if (gate.tcp) return renderTcp(place, gate.tcp, [...path, 'tcp']);
  if (gate.http) return renderHttp(place, gate.http, [...path, 'http']);
  const type = gate.command ? 'command' : 'cluster';
  const command = (gate.command ?? gate.cluster)!;
  const argv = argvOf(renderContextAt(place, [...path, type]), command.argv, 'argv');
  return argv === null ? null : ({ type, argv, exitCode: command.exitCode } as DesiredGate);
}

/**
 * The gates declared at `path` (a list), rendered for the place's node, after `before` (the node's gates
 * so far in this cluster); failed ones are left out (and reported). A name is one gate on a node: the plan,
 * events and RolloutHalted name gates by it.
 */
export function renderGates(place: GateRenderPlace, gates: readonly HealthGate[], at: { path: Path; before: readonly DesiredGate[] }): DesiredGate[] {
  const out: DesiredGate[] = [];
  gates.forEach((gate, i) => {
    const first = [...at.before, ...out].find((g) => g.name === gate.name);
    if (first) {
      report(place, 'DuplicateName', `gate "${gate.name}" is declared for this node's batch already, by ${first.origin}: name them apart`, [...at.path, i, 'name']);
      return;
    }
    const check = renderCheck(place, gate, [...at.path, i]);
    if (check) out.push({ ...check, name: gate.name, timeoutSeconds: durationSeconds(gate.timeout), origin: place.origin });
  });
  return out;
}

/** Where a step runs: the node itself, the node `on` names, or every node its selector picks (by name). */
function stepNodes(place: GateRenderPlace, at: { ctx: RenderContext; path: Path }, on: DrainStepDoc['on']): string[] | null {
  if (on === undefined) return [place.scope.node.name];
  if (typeof on === 'string') {
    const name = nodeName(place, at, on, 'on');
    return name === null ? null : [name];
  }
  const picked = selectNodes(place.nodes, on).map((n) => n.name);
  if (picked.length === 0) report(place, 'DanglingReference', 'on selects no Node of the site: the step would run nowhere', [...at.path, 'on']);
  return picked.length === 0 ? null : picked;
}

/** Drain or undrain steps at `path`, rendered for the place's node, in order; a selector's nodes in name order. */
export function renderDrainSteps(place: GateRenderPlace, steps: readonly DrainStepDoc[], path: Path): DrainStep[] {
  const out: DrainStep[] = [];
  steps.forEach((step, i) => {
    const ctx = renderContextAt(place, [...path, i]);
    const argv = argvOf(ctx, step.argv, 'argv');
    const nodes = stepNodes(place, { ctx, path: [...path, i] }, step.on);
    if (argv !== null && nodes !== null) for (const on of nodes) out.push({ argv, on, origin: place.origin });
  });
  return out;
}
