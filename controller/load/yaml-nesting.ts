/**
 * How deeply a YAML document nests, bounded before anything recursive sees it. The yaml parser, zod, resolve
 * and canonical JSON all recurse once per level, so a value nested 10,000 deep (`- - - … x`) overflows the
 * stack somewhere, and not always catchably: V8 can abort the whole process when the overflow hits inside its
 * regular-expression compiler. So the text is measured first from yaml's own tokens (yaml-tokens.ts), and the
 * composed tree is measured again, with its aliases followed, before it is turned into plain values.
 */
import { isAlias, isMap, isPair, isSeq } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { sourceTokens } from './yaml-tokens.js';

/**
 * Collections (mappings and sequences) nested inside each other, at most. A site document needs about ten
 * (a step input's value inside `spec.steps[i].with` is at level five); the rest is room for structured params.
 */
export const MAX_NESTING_DEPTH = 64;

export interface TooDeep {
  /** Offset of the token that opens the collection past the limit. */
  offset: number;
  /** The document's content, which the parser must not be given: [start, end) of the text. */
  start: number;
  end: number;
}

interface OpenBlock {
  column: number;
  kind: 'seq' | 'map';
}

interface OpenFlow {
  /** A `key: value` entry of a flow sequence is a mapping of its own, one level deeper. */
  seq: boolean;
  pair: boolean;
}

/** Tokens that can begin a node, hence an implicit key when a `:` follows on the same line. */
const NODE_STARTS = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar', 'alias', 'anchor', 'tag', 'flow-seq-start', 'flow-map-start']);

/**
 * The documents of `text` that nest more than `limit` collections deep, each with the place where the limit is
 * passed.
 */
export function findTooDeep(text: string, limit = MAX_NESTING_DEPTH): TooDeep[] {
  const scan = new NestingScan(limit);
  for (const token of sourceTokens(text)) {
    if (token.type === 'flow-error-end') scan.endFlow();
    else scan.token(token.type, token.start, token.text);
  }
  scan.endDocument(text.length, text.length);
  return scan.found;
}

/**
 * Block collections are told apart by the column their entries start at, as the parser does; a sequence
 * written at its parent key's column (`key:\n- a`) is one level deeper, and ends at the next key.
 */
class NestingScan {
  readonly found: TooDeep[] = [];
  #block: OpenBlock[] = [];
  #flow: OpenFlow[] = [];
  #flowPairs = 0;
  #docStart = 0;
  #tooDeep: number | undefined;
  #lineStart = 0;
  /** Where the node began that becomes an implicit key if a `:` follows on its line. */
  #keyStart: number | undefined;

  constructor(readonly limit: number) {}

  token(type: string, start: number, text: string): void {
    if (type === 'doc-start' || type === 'doc-end') this.endDocument(start, start + text.length);
    // Past the limit, only where the document ends matters: all of it is refused.
    else if (this.#tooDeep === undefined) {
      if (this.#flow.length > 0) this.#flowToken(type, start);
      else this.#blockToken(type, start);
    }
    const newline = text.lastIndexOf('\n');
    if (newline >= 0) {
      this.#lineStart = start + newline + 1;
      // An implicit key is on one line; whatever began before a line break is not one.
      this.#keyStart = undefined;
    }
  }

  endFlow(): void {
    this.#flow = [];
    this.#flowPairs = 0;
  }

  endDocument(end: number, next: number): void {
    if (this.#tooDeep !== undefined) this.found.push({ offset: this.#tooDeep, start: this.#docStart, end });
    this.#block = [];
    this.endFlow();
    this.#tooDeep = undefined;
    this.#docStart = next;
  }

  #check(at: number): void {
    if (this.#tooDeep === undefined && this.#block.length + this.#flow.length + this.#flowPairs > this.limit) this.#tooDeep = at;
  }

  #openFlow(type: string, start: number): void {
    this.#flow.push({ seq: type === 'flow-seq-start', pair: false });
    this.#check(start);
  }

  #flowToken(type: string, start: number): void {
    const top = this.#flow[this.#flow.length - 1]!;
    if (type === 'flow-seq-start' || type === 'flow-map-start') this.#openFlow(type, start);
    else if (type === 'flow-seq-end' || type === 'flow-map-end') {
      if (this.#flow.pop()?.pair) this.#flowPairs--;
    } else if (type === 'map-value-ind' && top.seq && !top.pair) {
      top.pair = true;
      this.#flowPairs++;
      this.#check(start);
    } else if (type === 'comma' && top.pair) {
      top.pair = false;
      this.#flowPairs--;
    }
  }

  #blockToken(type: string, start: number): void {
    if (NODE_STARTS.has(type)) this.#keyStart ??= start;
    const column = start - this.#lineStart;
    if (type === 'seq-item-ind') this.#openBlock(column, 'seq', start);
    else if (type === 'explicit-key-ind') this.#openBlock(column, 'map', start);
    else if (type === 'map-value-ind') {
      const key = this.#keyStart ?? start;
      this.#openBlock(key - this.#lineStart, 'map', key);
    } else if (type === 'flow-seq-start' || type === 'flow-map-start') this.#openFlow(type, start);
    if (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind') this.#keyStart = undefined;
  }

  #openBlock(column: number, kind: OpenBlock['kind'], at: number): void {
    const block = this.#block;
    while (block.length > 0 && block[block.length - 1]!.column > column) block.pop();
    const top = block[block.length - 1];
    if (top?.column === column && top.kind === 'seq' && kind === 'map') block.pop();
    const parent = block[block.length - 1];
    if (parent?.column === column && parent.kind === kind) return;
    block.push({ column, kind });
    this.#check(at);
  }
}

/** The text with each too-deep document blanked out (line breaks kept), so every offset still means the same. */
export function withoutDocuments(text: string, documents: readonly TooDeep[]): string {
  let out = '';
  let from = 0;
  for (const { start, end } of documents) {
    out += text.slice(from, start) + text.slice(start, end).replace(/[^\r\n]/g, ' ');
    from = end;
  }
  return out + text.slice(from);
}

export type TreeProblem = { kind: 'too-deep'; offset: number; depth: number } | { kind: 'recursive-alias'; offset: number; alias: string };

interface Frame {
  node: YamlNode;
  children: YamlNode[];
  next: number;
  height: number;
}

/** A collection's nodes in document order: each pair's key and value, each sequence item. */
function childrenOf(items: readonly unknown[]): YamlNode[] {
  const children: YamlNode[] = [];
  for (const item of items) {
    for (const child of isPair(item) ? [item.key, item.value] : [item]) {
      if (child !== null && typeof child === 'object') children.push(child as YamlNode);
    }
  }
  return children;
}

/**
 * Measures a composed document as its plain value will be: an alias stands for the whole node it names, so
 * aliases of aliases can build a value far deeper than its text, and an alias inside the node it names builds
 * one that never ends. Iterative, in document order, which is also how an alias finds its anchor (the latest
 * node before it with that name).
 */
export function checkTree(doc: Document, limit = MAX_NESTING_DEPTH): TreeProblem | undefined {
  const heights = new Map<YamlNode, number>();
  const anchors = new Map<string, YamlNode>();
  const stack: Frame[] = [];

  const enter = (node: YamlNode): TreeProblem | undefined => {
    if (node.anchor) anchors.set(node.anchor, node);
    const offset = node.range?.[0] ?? 0;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return undefined;
      const height = heights.get(target);
      if (height === undefined) return { kind: 'recursive-alias', offset, alias: node.source };
      if (stack.length + height > limit) return { kind: 'too-deep', offset, depth: stack.length + height };
      finish(node, height);
      return undefined;
    }
    if (!isMap(node) && !isSeq(node)) {
      finish(node, 0);
      return undefined;
    }
    if (stack.length + 1 > limit) return { kind: 'too-deep', offset, depth: stack.length + 1 };
    stack.push({ node, children: childrenOf(node.items as unknown[]), next: 0, height: 1 });
    return undefined;
  };
  const finish = (node: YamlNode, height: number): void => {
    heights.set(node, height);
    const parent = stack[stack.length - 1];
    if (parent) parent.height = Math.max(parent.height, height + 1);
  };

  if (doc.contents) {
    const problem = enter(doc.contents);
    if (problem) return problem;
  }
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.children[frame.next++];
    if (child === undefined) {
      stack.pop();
      finish(frame.node, frame.height);
      continue;
    }
    const problem = enter(child);
    if (problem) return problem;
  }
  return undefined;
}
