/**
 * What one template render may spend. It is counted, not timed, so the same revision is valid or refused the
 * same way on any machine under any load: render steps, bytes written, and liquidjs's own allocation count,
 * each checked while the render runs, so a runaway loop stops at its budget instead of after it has spent
 * minutes and gigabytes. A time limit remains only as a generous backstop, under a code of its own, for work
 * the counts could miss. It reads CPU time, not the wall clock: a machine under load stretches wall time
 * many times over (a render stopped by it was seen in CI), CPU time hardly.
 */
import { Context, toValue, type Emitter, type Liquid } from 'liquidjs';

export interface RenderLimits {
  /** Template nodes rendered plus block bodies entered (one per loop iteration): what nested loops multiply. */
  steps: number;
  /** UTF-8 bytes written by text, outputs and tags, captured text included (it is written again where output). */
  outputBytes: number;
  /** liquidjs's `memoryLimit` units: string lengths and array elements that ranges and filters create. */
  memory: number;
  /** The backstop: milliseconds of CPU time, read every CLOCK_EVERY steps. */
  cpuMs: number;
}

/** Milliseconds of CPU time spent so far, by any measure that only grows. */
export type CpuTime = () => number;

/** This process's CPU time: what the render spends, and little of what other processes do. */
export const processCpuTime: CpuTime = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export type BudgetName = 'steps' | 'outputBytes' | 'memory';

/** Why a render was stopped: a counted budget ran out (deterministic), or the CPU-time backstop fired. */
export interface Exhaustion {
  budget: BudgetName | 'time';
  limit: number;
}

/** Reading CPU time is a system call; the backstop need not be precise. */
const CLOCK_EVERY = 64;

/** Thrown through liquidjs to stop the render; the budget itself records which limit ran out. */
class RenderStopped extends Error {}

/** liquidjs's stringification of a written value (its `stringify`), so what is counted is what is written. */
export function liquidText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(liquidText).join('');
  return String(value);
}

export class RenderBudget {
  readonly #limits: RenderLimits;
  readonly #cpuTime: CpuTime;
  readonly #deadline: number;
  #steps = 0;
  #bytes = 0;
  #memory = 0;
  #exhausted: Exhaustion | null = null;

  constructor(limits: RenderLimits, cpuTime: CpuTime) {
    this.#limits = limits;
    this.#cpuTime = cpuTime;
    this.#deadline = cpuTime() + limits.cpuMs;
  }

  /** Set once a limit stopped the render; whatever liquidjs made of the thrown error, this says why. */
  get exhausted(): Exhaustion | null {
    return this.#exhausted;
  }

  /** A liquidjs Context whose memory accounting is this budget's (the time limit is ours too, see `meter`). */
  context(liquid: Liquid, scope: object): Context {
    const memoryLimit = { use: (count: number) => this.#allocate(+count), check: () => undefined };
    const renderLimit = { use: () => undefined, check: () => undefined };
    // liquidjs types its limiters as a class with private fields; these two have its public shape.
    type Limiter = Context['memoryLimit'];
    return new Context(scope, liquid.options, { sync: true }, { liquid, memoryLimit: memoryLimit as unknown as Limiter, renderLimit: renderLimit as unknown as Limiter });
  }

  /** An emitter that charges every write before keeping it. */
  emitter(): Emitter {
    return new MeteredEmitter((text) => this.#write(text));
  }

  /** Charged once per list of templates liquidjs renders: the list's entry and each of its templates. */
  step(templates: number): void {
    const before = this.#steps;
    this.#steps += 1 + templates;
    if (this.#steps > this.#limits.steps) this.#stop({ budget: 'steps', limit: this.#limits.steps });
    if (Math.floor(before / CLOCK_EVERY) !== Math.floor(this.#steps / CLOCK_EVERY) && this.#cpuTime() > this.#deadline) {
      this.#stop({ budget: 'time', limit: this.#limits.cpuMs });
    }
  }

  #write(text: string): void {
    this.#bytes += Buffer.byteLength(text, 'utf8');
    if (this.#bytes > this.#limits.outputBytes) this.#stop({ budget: 'outputBytes', limit: this.#limits.outputBytes });
  }

  #allocate(count: number): void {
    if (!(count > 0)) return;
    this.#memory += count;
    if (this.#memory > this.#limits.memory) this.#stop({ budget: 'memory', limit: this.#limits.memory });
  }

  #stop(why: Exhaustion): never {
    this.#exhausted ??= why;
    throw new RenderStopped(`template render stopped: ${why.budget} limit ${why.limit} exceeded`);
  }
}

/**
 * Whether a render of `templates` top-level nodes that wrote `text` is within the counted budgets: for a fast
 * path that renders without liquidjs, which must refuse exactly what liquidjs would.
 */
export function withinBudget(limits: RenderLimits, templates: number, text: string): boolean {
  if (1 + templates > limits.steps) return false;
  // A UTF-16 unit is at most 3 bytes of UTF-8: most texts need no count.
  return text.length * 3 <= limits.outputBytes || Buffer.byteLength(text, 'utf8') <= limits.outputBytes;
}

class MeteredEmitter implements Emitter {
  buffer = '';
  readonly #charge: (text: string) => void;

  constructor(charge: (text: string) => void) {
    this.#charge = charge;
  }

  write(html: unknown): void {
    const text = liquidText(toValue(html));
    this.#charge(text);
    this.buffer += text;
  }
}

/**
 * Makes every render of `liquid` go through the budget `active()` returns: each list of templates liquidjs
 * renders (the whole template, a loop's body on each iteration, a branch, a capture) is charged as a step,
 * and is given a metered emitter where liquidjs would have made an unmetered one (top level, captures).
 */
export function meter(liquid: Liquid, active: () => RenderBudget | null): void {
  const renderer = liquid.renderer;
  const renderTemplates = renderer.renderTemplates.bind(renderer);
  renderer.renderTemplates = (templates, ctx, emitter) => {
    const budget = active();
    if (!budget) throw new Error('liquidjs render outside a render budget');
    budget.step(templates.length);
    return renderTemplates(templates, ctx, emitter ?? budget.emitter());
  };
}
