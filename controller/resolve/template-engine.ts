/**
 * Renders module templates with LiquidJS: a template language built for untrusted input, with no way to run
 * code, read files or reach the clock once the few tags and filters that could are taken away (ADR 0002).
 * Each distinct template text is parsed once; rendering is synchronous so resolving 10,000 nodes stays cheap.
 */
import { Liquid, type Template } from 'liquidjs';

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

export type RenderOutcome =
  | {
      ok: true;
      text: string;
      /** Every value a `{{ }}` output (or echo) wrote, as text: what shell-safety checks look at. */
      interpolated: string[];
    }
  | { ok: false; message: string; line?: number; column?: number };

/** Bounds keep a hostile or careless template from exhausting the controller. */
const MAX_TEMPLATE_CHARS = 1_000_000;
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;
const MAX_RENDER_STEPS = 200_000;
const MEMORY_LIMIT = 64 * 1024 * 1024;

/** Tags that would load other templates from a file system. */
const FILE_TAGS = ['include', 'render', 'layout'];
/** Filters that read the clock (`"now" | date`) would make plans depend on when they were made. */
const CLOCK_FILTERS = ['date', 'date_to_xmlschema', 'date_to_rfc822', 'date_to_string', 'date_to_long_string'];

type Parsed = { ok: true; templates: Template[] } | { ok: false; message: string; line?: number; column?: number };

/** Liquid's own stringification of an output value, so what we check is exactly what was written. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(asText).join('');
  return String(value);
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
  readonly #parsed = new Map<string, Parsed>();
  /** Set only for the duration of one synchronous render. */
  #collector: string[] | null = null;

  constructor() {
    this.#liquid = new Liquid({
      strictVariables: true,
      strictFilters: true,
      ownPropertyOnly: true,
      templates: {},
      parseLimit: MAX_TEMPLATE_CHARS,
      memoryLimit: MEMORY_LIMIT,
      // Not an escape: a tap on every interpolated value, returned unchanged, for the shell-safety check.
      outputEscape: (value: unknown): string => {
        const text = asText(value);
        this.#collector?.push(text);
        return text;
      },
    });
    for (const tag of FILE_TAGS) delete this.#liquid.tags[tag];
    for (const filter of CLOCK_FILTERS) this.#liquid.unregisterFilter(filter);
    // Stock `raw` would bypass the tap above; this one is the same identity without that privilege.
    this.#liquid.registerFilter('raw', (value: unknown) => value);
  }

  /** True when the text has no Liquid markup, so it is its own rendering. */
  static isLiteral(text: string): boolean {
    return !text.includes('{{') && !text.includes('{%');
  }

  render(text: string, scope: TemplateScope): RenderOutcome {
    if (TemplateEngine.isLiteral(text)) return { ok: true, text, interpolated: [] };
    const parsed = this.#parse(text);
    if (!parsed.ok) return parsed;
    const interpolated: string[] = [];
    this.#collector = interpolated;
    try {
      const out: unknown = this.#liquid.renderSync(parsed.templates, scope, { templateLimit: MAX_RENDER_STEPS });
      const rendered = asText(out);
      if (rendered.length > MAX_OUTPUT_CHARS) {
        return { ok: false, message: `rendered output is larger than ${MAX_OUTPUT_CHARS} characters` };
      }
      return { ok: true, text: rendered, interpolated };
    } catch (err) {
      return { ok: false, ...describeError(err) };
    } finally {
      this.#collector = null;
    }
  }

  #parse(text: string): Parsed {
    let parsed = this.#parsed.get(text);
    if (!parsed) {
      try {
        parsed = { ok: true, templates: this.#liquid.parse(text) };
      } catch (err) {
        parsed = { ok: false, ...describeError(err) };
      }
      this.#parsed.set(text, parsed);
    }
    return parsed;
  }
}
