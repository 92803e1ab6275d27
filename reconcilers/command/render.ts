/**
 * A command entry rendered for one node: argv and its guards, every element a template held to the
 * shell-safety rules (values are argv, never code); a templated program or `creates` path is held to the
 * roots load holds literal ones to.
 */
import type { RenderContext } from '../kind.js';
import type { CommandDoc, DesiredCommand } from './schema.js';

export function renderCommand(c: CommandDoc, ctx: RenderContext): DesiredCommand | null {
  const argv = ctx.texts(c.argv, ['argv']);
  const unless = c.unless ? ctx.texts(c.unless, ['unless']) : undefined;
  const creates = c.creates === undefined ? undefined : ctx.path(c.creates, ['creates']);
  const onChangeOf = ctx.refs(c.onChangeOf, ['onChangeOf']);
  if (!argv || unless === null || creates === null || onChangeOf === null) return null;
  if (ctx.program(c.argv[0]!, argv[0]!.text, ['argv', 0]) === null) return null;
  ctx.checkArgv(argv, ['argv'], 0);
  if (unless) ctx.checkArgv(unless, ['unless'], 0);
  const spec: DesiredCommand = { kind: 'command', name: c.name, argv: argv.map((a) => a.text), onChangeOf };
  if (creates !== undefined) spec.creates = creates;
  if (unless) spec.unless = unless.map((a) => a.text);
  if (c.disruptive === true) spec.disruptive = true;
  return spec;
}
