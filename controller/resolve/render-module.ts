/**
 * One module evaluated for one node of one step: its outputs and its resources, every template rendered.
 * Errors go to the sink with the location of the template (the line inside a template file, or inside the
 * field's text for an inline one), never thrown.
 */
import { fieldPath } from '../spec/diagnostic.js';
import type { SourceLocation } from '../model/source-location.js';
import { nodePathProblem } from '../spec/node-path.js';
import { referencedFilePath } from '../spec/repository-path.js';
import type { ModuleDoc, ModuleResource } from '../spec/schema.js';
import type { Located } from '../spec/spec.js';
import type { ResourceOrigin, ResourceSpec } from '../model/desired.js';
import { resourceKey } from '../model/resource-key.js';
import type { FieldPath, RenderContext, RenderedText } from '../../reconcilers/kind.js';
import { resourceEntry } from '../spec/module-resource.js';
import type { DiagnosticSink, SinkPlace } from './diagnostic-sink.js';
import { hasControlBreak, unsafeArgvValues } from './shell-safety.js';
import { TemplateEngine, type TemplateScope } from './template-engine.js';
import { UncheckedSpec } from './unchecked-spec.js';

export interface RenderedResource {
  key: string;
  spec: ResourceSpec;
  origin: ResourceOrigin;
}

/** What rendering a document's templates needs: a module's, or a Site's or Cluster's rollout gates. */
export interface RenderPlace {
  engine: TemplateEngine;
  sink: DiagnosticSink;
  /** The document whose fields are rendered: diagnostics point into it. */
  module: Located<{ metadata: { name: string } }>;
  /** Template files by repository path (Spec.templates). */
  templateFiles: Readonly<Record<string, string>>;
  scope: TemplateScope;
  /** Site spec.allowedPaths: rendered paths must lie under them, as literal ones must at load. */
  allowedPaths: readonly string[];
}

export interface ModuleRenderContext extends RenderPlace {
  module: Located<ModuleDoc>;
  cluster: string;
  step: string;
  /** Location of each entry of the module's `resources`, looked up once per module rather than per node. */
  resourceLocations: readonly SourceLocation[];
  /** Origin of each entry, filled on first use: the same for every node of the step, so one object serves all. */
  origins?: ResourceOrigin[];
}

type Path = (string | number)[];

/**
 * Liquid ends its messages with the position in the template's own text; the diagnostic's location says where
 * that is in the repository, which for an inline template is another line and column.
 */
const templateMessage = (message: string): string => `template error: ${message.replace(/, line:\d+, col:\d+$/, '')}`;

/** A field of the module, on the node being rendered. */
function placeOf(ctx: RenderPlace, path: Path, within?: { line: number; column: number }): SinkPlace {
  return { location: ctx.module.locate(path, within), field: fieldPath(path), node: ctx.scope.node.name };
}

function renderAt(ctx: RenderPlace, text: string, path: Path): RenderedText | null {
  const out = ctx.engine.render(text, ctx.scope);
  if (out.ok) return out;
  const within = out.line === undefined ? undefined : { line: out.line, column: out.column ?? 1 };
  ctx.sink.error(out.code, templateMessage(out.message), placeOf(ctx, path, within));
  return null;
}

function renderTemplateFile(ctx: RenderPlace, name: string, path: Path): RenderedText | null {
  // Load read every template a module names (reporting PathTraversal and TemplateNotFound), so it is there.
  const file = referencedFilePath(ctx.module.location.file, name);
  if (file === null || !Object.hasOwn(ctx.templateFiles, file)) throw new UncheckedSpec(`module "${ctx.module.doc.metadata.name}": template "${name}" was not read by load`);
  const text = ctx.templateFiles[file]!;
  const out = ctx.engine.render(text, ctx.scope);
  if (out.ok) return out;
  const location: SourceLocation = { file, line: out.line ?? 1, column: out.column ?? 1 };
  ctx.sink.error(out.code, templateMessage(out.message), { location, field: fieldPath(path), node: ctx.scope.node.name });
  return null;
}

/** Only text with Liquid markup is rendered: a literal path or reference stays exactly as written. */
const isTemplated = (text: string): boolean => text.includes('{{') || text.includes('{%');

/**
 * A path field (file, directory, guard, key, certificate, program) rendered like content, with the same
 * scope, then held to the rules load holds literal paths to, with the same codes; null if it fails.
 */
function renderPath(ctx: RenderPlace, text: string, path: Path, program: boolean): string | null {
  if (!isTemplated(text)) return text;
  const rendered = renderAt(ctx, text, path);
  if (!rendered) return null;
  return checkedPath(ctx, rendered.text, path, { program, form: true });
}

/** A rendered argv[0]: a program path if absolute (else looked up in PATH), under the roots load allows. */
function checkedProgram(ctx: RenderPlace, template: string, rendered: string, path: Path): string | null {
  return isTemplated(template) ? checkedPath(ctx, rendered, path, { program: true }) : rendered;
}

/** The message leaves the rendered text out: it differs per node, and one message is merged over all nodes. */
function checkedPath(ctx: RenderPlace, text: string, path: Path, options: { program: boolean; form?: boolean }): string | null {
  const problem = nodePathProblem(text, ctx.allowedPaths, options);
  if (!problem) return text;
  ctx.sink.error(problem.code, `once rendered, this path ${problem.reason}`, placeOf(ctx, path));
  return null;
}

/** `restartOnChangeOf` / `onChangeOf`: a reference to a templated path is rendered the same way, so it still names it. */
function renderRefs(ctx: RenderPlace, refs: readonly string[], path: Path): string[] | null {
  const out = refs.map((ref, i) => (isTemplated(ref) ? (renderAt(ctx, ref, [...path, i])?.text ?? null) : ref));
  return out.every((r) => r !== null) ? [...new Set(out as string[])].sort() : null;
}

/** Renders a list of templates; null if any failed (each failure is reported). */
function renderList(ctx: RenderPlace, texts: readonly string[], path: Path): RenderedText[] | null {
  const out = texts.map((t, i) => renderAt(ctx, t, [...path, i]));
  return out.every((r) => r !== null) ? (out as RenderedText[]) : null;
}

function inputNamed(scope: TemplateScope, value: string): string | undefined {
  for (const [name, v] of Object.entries(scope.inputs)) {
    if (typeof v === 'string' ? v === value : Array.isArray(v) ? v.some((x) => String(x) === value) : String(v) === value) {
      return name;
    }
  }
  return undefined;
}

/**
 * `argv` is the program and its arguments, rendered; `offset` is how many leading elements are not
 * templates of `path` (a service's fixed `command`). The rule itself is in shell-safety.ts.
 */
function checkArgv(ctx: RenderPlace, argv: readonly RenderedText[], path: Path, offset: number): void {
  argv.forEach((a, i) => {
    if (i >= offset && hasControlBreak(a.text)) {
      const p = [...path, i - offset];
      ctx.sink.error('UnsafeShellValue', `argument ${i - offset} contains a line break or NUL, which argv cannot carry safely`, placeOf(ctx, p));
    }
  });
  for (const finding of unsafeArgvValues(argv, offset)) {
    const p = [...path, finding.index - offset];
    const input = inputNamed(ctx.scope, finding.value);
    const what = input ? `input "${input}" (${JSON.stringify(finding.value)})` : `the value ${JSON.stringify(finding.value)}`;
    const positional = `sh -c 'script "$1"' _ "{{ ${input ? `inputs.${input}` : 'value'} }}"`;
    const message =
      finding.problem === 'spliced'
        ? `this argument splices ${what}, which has shell or interpreter metacharacters, into other text; never splice values into a string some program may parse: pass it as a separate argv element, or to a literal script as a positional parameter, e.g. ${positional}`
        : `this argument is code (${finding.because}) and ${finding.whole ? 'is entirely' : 'interpolates'} ${what}; values never become code: keep the code literal in the module and pass the value as a separate argv element after it, e.g. ${positional}`;
    ctx.sink.error('UnsafeShellValue', message, placeOf(ctx, p));
  }
}

function checkEnvironment(ctx: RenderPlace, env: Readonly<Record<string, string>>, path: Path): void {
  for (const [name, value] of Object.entries(env)) {
    if (!hasControlBreak(value)) continue;
    const p = [...path, name];
    ctx.sink.error('UnsafeShellValue', `environment value contains a line break or NUL, which cannot be passed safely`, placeOf(ctx, p));
  }
}

/**
 * What a kind's render is offered: resolve's helpers, with field paths inside the kind's own entry. A class
 * rather than closures: one object per rendered resource, on sites with hundreds of thousands of them.
 */
class KindRenderContext implements RenderContext {
  constructor(
    private readonly ctx: RenderPlace,
    private readonly base: Path,
  ) {}

  private at(field: FieldPath): Path {
    return [...this.base, ...field];
  }

  text(template: string, field: FieldPath): RenderedText | null {
    return renderAt(this.ctx, template, this.at(field));
  }

  texts(templates: readonly string[], field: FieldPath): RenderedText[] | null {
    return renderList(this.ctx, templates, this.at(field));
  }

  templateFile(name: string, field: FieldPath): RenderedText | null {
    return renderTemplateFile(this.ctx, name, this.at(field));
  }

  path(template: string, field: FieldPath, options?: { program?: boolean }): string | null {
    return renderPath(this.ctx, template, this.at(field), options?.program ?? false);
  }

  program(template: string, rendered: string, field: FieldPath): string | null {
    return checkedProgram(this.ctx, template, rendered, this.at(field));
  }

  refs(refs: readonly string[], field: FieldPath): string[] | null {
    return renderRefs(this.ctx, refs, this.at(field));
  }

  checkArgv(argv: readonly RenderedText[], field: FieldPath, offset: number): void {
    checkArgv(this.ctx, argv, this.at(field), offset);
  }

  checkEnvironment(environment: Readonly<Record<string, string>>, field: FieldPath): void {
    checkEnvironment(this.ctx, environment, this.at(field));
  }
}

/** A render context for fields under `base` of the place's document (a module's gates, a rollout's). */
export function renderContextAt(place: RenderPlace, base: Path): RenderContext {
  return new KindRenderContext(place, base);
}

function renderResource(ctx: ModuleRenderContext, entry: ModuleResource, index: number): RenderedResource | null {
  const base: Path = ['spec', 'resources', index];
  let origin = ctx.origins?.[index];
  if (!origin) {
    origin = { cluster: ctx.cluster, step: ctx.step, module: ctx.module.doc.metadata.name, location: ctx.resourceLocations[index] ?? ctx.module.locate(base) };
    if (ctx.origins) ctx.origins[index] = origin;
  }
  const { kind, doc } = resourceEntry(entry);
  const spec = kind.render(doc, new KindRenderContext(ctx, [...base, kind.kind]));
  return spec === null ? null : { key: resourceKey(kind.kind, kind.identity.ofSpec(spec)), spec, origin };
}

/** The module's outputs on this node; null if any failed to render. */
export function renderOutputs(ctx: ModuleRenderContext): Record<string, string> | null {
  const out: Record<string, string> = {};
  let ok = true;
  for (const [name, template] of Object.entries(ctx.module.doc.spec.outputs)) {
    const r = renderAt(ctx, template, ['spec', 'outputs', name]);
    if (r) out[name] = r.text;
    else ok = false;
  }
  return ok ? out : null;
}

/** The module's resources on this node, in declaration order; failed ones are left out (and reported). */
export function renderResources(ctx: ModuleRenderContext): RenderedResource[] {
  const out: RenderedResource[] = [];
  ctx.module.doc.spec.resources.forEach((entry, i) => {
    const r = renderResource(ctx, entry, i);
    if (r) out.push(r);
  });
  return out;
}
