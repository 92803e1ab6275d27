/**
 * Which facts only an observation holds a module's templates read through `node.facts`: before the nodes are
 * observed (validate), a step whose templates read one its node does not declare is left for plan time, as
 * an input reading one is, instead of failing on a strict undefined variable.
 */
import { OBSERVED_FACTS, isObservedFact, type ObservedFact } from '../model/observed-facts.js';
import { fieldPath } from '../spec/diagnostic.js';
import type { SourceLocation } from '../model/source-location.js';
import type { ModuleDoc } from '../spec/schema.js';
import { referencedFilePath } from '../spec/repository-path.js';
import type { Located } from '../spec/spec.js';
import type { TemplateEngine } from './template-engine.js';

export interface ObservedFactRead {
  fact: ObservedFact;
  /** Where the module first reads it: the field of an inline template, or the template file. */
  location: SourceLocation;
  field?: string;
}

type Path = (string | number)[];

/** `node`, `node.facts` or `node.facts[computed]` read whole stand for every observed fact. */
function factsRead(path: readonly (string | number)[]): readonly ObservedFact[] {
  if (path[0] !== 'node' || (path.length > 1 && path[1] !== 'facts')) return [];
  if (path.length <= 2) return OBSERVED_FACTS;
  const name = path[2];
  return typeof name === 'string' && isObservedFact(name) ? [name] : [];
}

/** Every observed fact the module's outputs and resources read, each with its first place, in document order. */
export function observedFactReads(module: Located<ModuleDoc>, templateFiles: Readonly<Record<string, string>>, engine: TemplateEngine): ObservedFactRead[] {
  const found = new Map<ObservedFact, ObservedFactRead>();
  const note = (text: string, at: () => Pick<ObservedFactRead, 'location' | 'field'>): void => {
    for (const path of engine.reads(text) ?? []) {
      for (const fact of factsRead(path)) if (!found.has(fact)) found.set(fact, { fact, ...at() });
    }
  };
  const walk = (value: unknown, path: Path): void => {
    if (typeof value === 'string') {
      if (path.at(-1) !== 'template' || path.at(-2) !== 'file') note(value, () => ({ location: module.locate(path), field: fieldPath(path) }));
      else {
        const file = referencedFilePath(module.location.file, value);
        if (file !== null && Object.hasOwn(templateFiles, file)) note(templateFiles[file]!, () => ({ location: { file, line: 1, column: 1 } }));
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(module.doc.spec.outputs, ['spec', 'outputs']);
  walk(module.doc.spec.resources, ['spec', 'resources']);
  return [...found.values()];
}
