/**
 * A command entry rendered for one node: argv, its guards and its rollback argv, every element a template
 * held to the shell-safety rules (values are argv, never code); a templated program or `creates` path is
 * held to the roots load holds literal ones to.
 */
import type { RenderContext } from '../kind.js';
import type { CommandDoc, DesiredCommand } from './schema.js';

type Field = 'argv' | 'rollback';

/** An argv-like field rendered and checked: its program held to the program roots, its values to argv's rules. */
function renderArgv(ctx: RenderContext, templates: readonly string[], field: Field): string[] | null {
  const argv = ctx.texts(templates, [field]);
  if (!argv) return null;
  if (ctx.program(templates[0]!, argv[0]!.text, [field, 0]) === null) return null;
  ctx.checkArgv(argv, [field], 0);
  return argv.map((a) => a.text);
}

export function renderCommand(c: CommandDoc, ctx: RenderContext): DesiredCommand | null {
  const argv = renderArgv(ctx, c.argv, 'argv');
  const rollback = c.rollback ? renderArgv(ctx, c.rollback, 'rollback') : undefined;
  const unless = c.unless ? ctx.texts(c.unless, ['unless']) : undefined;
  const creates = c.creates === undefined ? undefined : ctx.path(c.creates, ['creates']);
  const onChangeOf = ctx.refs(c.onChangeOf, ['onChangeOf']);
  if (!argv || rollback === null || unless === null || creates === null || onChangeOf === null) return null;
  if (unless) ctx.checkArgv(unless, ['unless'], 0);
  const spec: DesiredCommand = { kind: 'command', name: c.name, argv, onChangeOf };
  if (creates !== undefined) spec.creates = creates;
  if (unless) spec.unless = unless.map((a) => a.text);
  if (rollback) spec.rollback = rollback;
  if (c.disruptive === true) spec.disruptive = true;
  return spec;
}
