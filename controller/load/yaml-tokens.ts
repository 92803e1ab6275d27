/**
 * yaml's own Lexer, with where each token starts in the text: a flat loop, whatever the input, that knows
 * quotes, block scalars and comments exactly as the parser will. For looking at a text before, or instead of,
 * parsing it.
 */
import { CST, Lexer } from 'yaml';

export interface SourceToken {
  /** As `CST.tokenType` names it, but 'scalar' for any scalar's text, and 'flow-error-end' where the lexer
   * gave up on the open flow collections. */
  type: string;
  start: number;
  text: string;
}

export function* sourceTokens(text: string): Generator<SourceToken> {
  let offset = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    // Markers have no text in the source; after the scalar marker comes a scalar's text, whatever its first
    // character (a block scalar's line may well begin with `"` or `-`).
    if (token === CST.DOCUMENT || token === CST.FLOW_END || token === CST.SCALAR) {
      if (token === CST.FLOW_END) yield { type: 'flow-error-end', start: offset, text: '' };
      scalarNext = token === CST.SCALAR;
      continue;
    }
    yield { type: scalarNext ? 'scalar' : (CST.tokenType(token) ?? 'scalar'), start: offset, text: token };
    scalarNext = false;
    offset += token.length;
  }
}
