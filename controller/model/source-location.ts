/**
 * Where something was written in the site repository: diagnostics point there, and every desired resource
 * remembers it, so a plan can still say which file and line a change comes from.
 */

export interface SourceLocation {
  /** Repository-relative path. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** A place inside a text that is not a file of its own, such as a template written inline; 1-based. */
export interface TextPosition {
  line: number;
  column: number;
}
