/**
 * Renders module templates with LiquidJS: a template language built for untrusted input, with no way to run
 * code, read files or reach the clock once the few tags and filters that could are taken away (ADR 0002).
 * Each distinct template text is parsed once; rendering is synchronous so resolving 10,000 nodes stays cheap.
 */
import { Liquid, Output, TokenKind, type Template } from 'liquidjs';
import { RenderBudget, liquidText, meter, processCpuTime, withinBudget, type CpuTime, type Exhaustion, type RenderLimits } from './render-budget.js';

/** What a template sees. Everything else is an undefined variable, hence an error. */
export interface TemplateScope {
  inputs: Record<string, unknown>;
  node: {
    name: string;
    address: string;
    roles: string[];
    labels: Record<string, string>;
    facts: Record<string, unknown>;
  };
  cluster: { name: string };
  step: { name: string };
}

export type RenderOutcome = RenderSuccess | RenderFailure;

export interface RenderSuccess {
  ok: true;
  text: string;
  /** Every value a `{{ }}` output (or echo) wrote, as text: what shell-safety checks look at. */
  interpolated: string[];
}

export interface RenderFailure {
  ok: false;
  /** TemplateBudgetExceeded when a counted render budget ran out; TemplateTimeLimit only for the CPU-time backstop. */
  code: 'TemplateError' | 'TemplateBudgetExceeded' | 'TemplateTimeLimit';
  message: string;
  line?: number;
  column?: number;
}

/** Bounds keep a hostile or careless template from exhausting the controller. */
const MAX_TEMPLATE_CHARS = 1_000_000;
export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  steps: 200_000,
  outputBytes: 4 * 1024 * 1024,
  memory: 2 * 1024 * 1024,
  cpuMs: 10_000,
};

export interface TemplateEngineOptions {
  limits?: Partial<RenderLimits>;
  /** Read only by the backstop (default: this process's CPU time). */
  cpuTime?: CpuTime;
}

/** Tags that would load other templates from a file system. */
const FILE_TAGS = ['include', 'render', 'layout'];
/** Filters that read the clock (`"now" | date`) would make plans depend on when they were made. */
const CLOCK_FILTERS = ['date', 'date_to_xmlschema', 'date_to_rfc822', 'date_to_string', 'date_to_long_string'];

type Parsed = { ok: true; templates: Template[] } | RenderFailure;

/** Literal text, or a `{{ a.b.c }}` without filters as its property names. */
type SimplePart = string | readonly string[];

interface ParsedEntry {
  parsed: Parsed;
  /** Set when the template is only text and plain property outputs: rendered without Liquid. */
  simple: readonly SimplePart[] | null;
  /** Global variable paths the template reads; null when its output must not be reused across scopes. */
  reads: readonly (readonly (string | number)[])[] | null;
  cache: Map<string, RenderOutcome>;
  hits: number;
  misses: number;
}

/** Liquid answers these names on any object or array (`size`, `first`, `last`): left to Liquid. */
const LIQUID_PROPERTIES = new Set(['size', 'first', 'last']);
/** Tags that write into the render scope, so one template's output can depend on what rendered before it. */
const SCOPE_WRITING_TAGS = /\b(increment|decrement)\b/;
/** A template whose reads differ on nearly every node is not worth keying: stop trying after this many misses. */
const CACHE_PROBATION = 64;

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && typeof (value as { toLiquid?: unknown }).toLiquid !== 'function';
}

/**
 * The parts of a template made only of text and `{{ a.b }}` outputs whose only filter is the tap (the engine's
 * outputEscape), or null. Relies on liquidjs's parsed shapes (Output, HTML tokens, property-access tokens); any
 * other shape, including ones a future liquidjs may produce, just means "render with Liquid".
 */
function simpleParts(templates: readonly Template[]): SimplePart[] | null {
  const parts: SimplePart[] = [];
  for (const t of templates) {
    const token = (t as { token?: { kind?: number } }).token;
    const str = (t as { str?: unknown }).str;
    if (token?.kind === TokenKind.HTML && typeof str === 'string' && !(t instanceof Output)) {
      parts.push(str);
      continue;
    }
    const path = t instanceof Output ? propertyPath(t) : null;
    if (!path) return null;
    parts.push(path);
  }
  return parts;
}

/** The property names of an output `{{ a.b.c }}` with only the tap filter, or null. */
function propertyPath(t: Output): string[] | null {
  const value = t.value as unknown as { filters: unknown[]; initial: { postfix?: unknown[] } };
  if (value.filters.length !== 1 || value.initial.postfix?.length !== 1) return null;
  const access = value.initial.postfix[0] as { kind?: number; variable?: unknown; props?: { kind?: number; content?: unknown }[] };
  if (access.kind !== TokenKind.PropertyAccess || access.variable !== undefined || !access.props || access.props.length === 0) return null;
  const path: string[] = [];
  for (const prop of access.props) {
    if (prop.kind !== TokenKind.Word || typeof prop.content !== 'string') return null;
    path.push(prop.content);
  }
  return path;
}

/** What Liquid would write for `{{ path }}`, or undefined when Liquid itself must decide (errors, special names). */
function readSimple(scope: TemplateScope, path: readonly string[]): string | undefined {
  let value: unknown = scope;
  for (const key of path) {
    if (!isPlainRecord(value) || LIQUID_PROPERTIES.has(key) || key in Object.prototype || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? liquidText(value) : undefined;
}

function describeError(err: unknown): { message: string; line?: number; column?: number } {
  const e = err as { message?: unknown; token?: { getPosition?: () => [number, number] } };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const position = e.token?.getPosition?.();
  if (!position) return { message };
  return { message, line: position[0], column: position[1] };
}

export class TemplateEngine {
  readonly #liquid: Liquid;
  readonly #parsed = new Map<string, ParsedEntry>();
  readonly #objectIds = new WeakMap<object, number>();
  #nextObjectId = 0;
  readonly #limits: RenderLimits;
  readonly #cpuTime: CpuTime;
  /** Set only for the duration of one synchronous render. */
  #collector: string[] | null = null;
  #budget: RenderBudget | null = null;

  constructor(options: TemplateEngineOptions = {}) {
    this.#limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
    this.#cpuTime = options.cpuTime ?? processCpuTime;
    this.#liquid = new Liquid({
      strictVariables: true,
      strictFilters: true,
      ownPropertyOnly: true,
      templates: {},
      parseLimit: MAX_TEMPLATE_CHARS,
      // Fixed, not the machine's (same output everywhere); and finding the machine's costs ~15 ms of ICU start-up.
      locale: 'en-US',
      // Not an escape: a tap on every interpolated value, returned unchanged, for the shell-safety check.
      outputEscape: (value: unknown): string => {
        const text = liquidText(value);
        this.#collector?.push(text);
        return text;
      },
    });
    for (const tag of FILE_TAGS) delete this.#liquid.tags[tag];
    for (const filter of CLOCK_FILTERS) this.#liquid.unregisterFilter(filter);
    // Stock `raw` would bypass the tap above; this one is the same identity without that privilege.
    this.#liquid.registerFilter('raw', (value: unknown) => value);
    meter(this.#liquid, () => this.#budget);
  }

  /** True when the text has no Liquid markup, so it is its own rendering. */
  static isLiteral(text: string): boolean {
    return !text.includes('{{') && !text.includes('{%');
  }

  /** Static prefixes of the global variables a template reads; null when it does not parse or cannot be told. */
  reads(text: string): readonly (readonly (string | number)[])[] | null {
    if (TemplateEngine.isLiteral(text)) return [];
    const parsed = this.#entry(text).parsed;
    return parsed.ok ? this.#globalReads(parsed.templates) : null;
  }

  render(text: string, scope: TemplateScope): RenderOutcome {
    if (TemplateEngine.isLiteral(text)) return { ok: true, text, interpolated: [] };
    const entry = this.#entry(text);
    const parsed = entry.parsed;
    if (!parsed.ok) return parsed;
    if (entry.simple) {
      const out = renderSimple(entry.simple, scope);
      if (out && withinBudget(this.#limits, entry.simple.length, out.text)) return out;
    }
    const key = entry.reads ? this.#cacheKey(entry, scope) : undefined;
    if (key !== undefined) {
      const cached = entry.cache.get(key);
      if (cached) {
        entry.hits++;
        return cached;
      }
      entry.misses++;
      if (entry.hits === 0 && entry.misses >= CACHE_PROBATION) entry.reads = null;
    }
    const out = this.#renderLiquid(parsed.templates, scope);
    if (key !== undefined && entry.reads) entry.cache.set(key, out);
    return out;
  }

  /**
   * The values a template reads, as a string, so renders with equal reads share one output: many nodes render
   * the same template with scopes that differ only where the template does not look. Objects count by identity
   * (a step's shared input is one object on every node), and a path is followed only through own properties of
   * plain data; where it cannot be, the value it stopped at stands for the rest of it.
   */
  #cacheKey(entry: ParsedEntry, scope: TemplateScope): string | undefined {
    let key = '';
    for (const path of entry.reads!) {
      let value: unknown = scope;
      for (const segment of path) {
        if (typeof value !== 'object' || value === null) break;
        if (typeof segment === 'string' && (!Object.hasOwn(value, segment) || LIQUID_PROPERTIES.has(segment))) break;
        const next: unknown = (value as Record<string | number, unknown>)[segment];
        if (typeof segment === 'number' && (!Array.isArray(value) || next === undefined)) break;
        value = next;
      }
      key += `${this.#valueKey(value)}|`;
    }
    return key;
  }

  #valueKey(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'number':
        return `n${String(value)}`;
      case 'boolean':
        return `b${String(value)}`;
      case 'undefined':
        return 'u';
      case 'object': {
        if (value === null) return 'null';
        let id = this.#objectIds.get(value);
        if (id === undefined) this.#objectIds.set(value, (id = this.#nextObjectId++));
        return `#${id}`;
      }
      default:
        // Functions, symbols, bigints: not plain data, so never shared.
        return `#${this.#nextObjectId++}`;
    }
  }

  #renderLiquid(templates: Template[], scope: TemplateScope): RenderOutcome {
    const interpolated: string[] = [];
    const budget = new RenderBudget(this.#limits, this.#cpuTime);
    this.#collector = interpolated;
    this.#budget = budget;
    try {
      const out: unknown = this.#liquid.renderSync(templates, budget.context(this.#liquid, scope));
      return { ok: true, text: liquidText(out), interpolated };
    } catch (err) {
      const { message, ...position } = describeError(err);
      const exhausted = budget.exhausted;
      if (!exhausted) return { ok: false, code: 'TemplateError', message, ...position };
      return { ok: false, code: exhausted.budget === 'time' ? 'TemplateTimeLimit' : 'TemplateBudgetExceeded', message: exhaustionMessage(exhausted), ...position };
    } finally {
      this.#collector = null;
      this.#budget = null;
    }
  }

  #entry(text: string): ParsedEntry {
    let entry = this.#parsed.get(text);
    if (!entry) {
      let parsed: Parsed;
      try {
        parsed = { ok: true, templates: this.#liquid.parse(text) };
      } catch (err) {
        parsed = { ok: false, code: 'TemplateError', ...describeError(err) };
      }
      entry = { parsed, simple: null, reads: null, cache: new Map(), hits: 0, misses: 0 };
      if (parsed.ok) {
        entry.simple = simpleParts(parsed.templates);
        entry.reads = SCOPE_WRITING_TAGS.test(text) ? null : this.#globalReads(parsed.templates);
      }
      this.#parsed.set(text, entry);
    }
    return entry;
  }

  /** Static prefixes of the global variables a template reads (a computed index ends its path), or null if unknown. */
  #globalReads(templates: Template[]): (string | number)[][] | null {
    try {
      return this.#liquid.globalVariableSegmentsSync(templates).map((segments) => {
        const path: (string | number)[] = [];
        for (const segment of segments) {
          if (typeof segment !== 'string' && typeof segment !== 'number') break;
          path.push(segment);
        }
        return path;
      });
    } catch {
      return null;
    }
  }
}

function exhaustionMessage({ budget, limit }: Exhaustion): string {
  switch (budget) {
    case 'steps':
      return `rendering takes more than ${limit} steps, the budget of one render (each loop iteration and each tag or output in it is a step)`;
    case 'outputBytes':
      return `rendering writes more than ${limit} bytes, the budget of one render (captured text counts too)`;
    case 'memory':
      return `rendering allocates more than ${limit} units (string characters and array elements made by ranges and filters), the budget of one render`;
    case 'time':
      return `rendering used more than ${limit} ms of CPU time, the backstop; the counted budgets did not stop it, so this may differ between machines`;
  }
}

/** Renders a simple template (see simpleParts) as Liquid would, or returns undefined to leave it to Liquid. */
function renderSimple(parts: readonly SimplePart[], scope: TemplateScope): RenderSuccess | undefined {
  let text = '';
  const interpolated: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = readSimple(scope, part);
    if (value === undefined) return undefined;
    interpolated.push(value);
    text += value;
  }
  return { ok: true, text, interpolated };
}
