/**
 * A service entry rendered for one node: its program path, arguments and environment rendered and held to
 * the shell-safety rules (values are argv, never code), and the references that restart or reload it.
 */
import type { RenderContext } from '../kind.js';
import type { DesiredReload, DesiredService, ServiceDoc } from './schema.js';

export function renderService(s: ServiceDoc, ctx: RenderContext): DesiredService | null {
  const command = ctx.path(s.command, ['command'], { program: true });
  const args = ctx.texts(s.args, ['args']);
  const restartOnChangeOf = ctx.refs(s.restartOnChangeOf, ['restartOnChangeOf']);
  const reloadOnChangeOf = ctx.refs(s.reloadOnChangeOf, ['reloadOnChangeOf']);
  const reload = renderReload(s, ctx);
  const environment: Record<string, string> = {};
  let ok = args !== null && command !== null && restartOnChangeOf !== null && reloadOnChangeOf !== null && reload !== null;
  for (const name of Object.keys(s.environment).sort()) {
    const r = ctx.text(s.environment[name]!, ['environment', name]);
    if (r) environment[name] = r.text;
    else ok = false;
  }
  if (!ok || !args || command === null || restartOnChangeOf === null || reloadOnChangeOf === null || reload === null) return null;
  ctx.checkArgv([{ text: command, interpolated: [] }, ...args], ['args'], 1);
  ctx.checkEnvironment(environment, ['environment']);
  const spec: DesiredService = {
    kind: 'service',
    name: s.name,
    command,
    args: args.map((a) => a.text),
    environment,
    user: s.user,
    restart: s.restart,
    enabled: s.enabled,
    restartOnChangeOf,
  };
  // Only when declared: a service without a reload keeps the spec (and recorded hash) it always had.
  if (reloadOnChangeOf.length > 0) spec.reloadOnChangeOf = reloadOnChangeOf;
  if (reload) spec.reload = reload;
  return spec;
}

/** The declared reload, HUP when only `reloadOnChangeOf` is declared, undefined when neither; null after a reported failure. */
function renderReload(s: ServiceDoc, ctx: RenderContext): DesiredReload | undefined | null {
  if (!s.reload) return s.reloadOnChangeOf.length > 0 ? { signal: 'HUP' } : undefined;
  if ('signal' in s.reload) return { signal: s.reload.signal };
  const argv = ctx.texts(s.reload.command, ['reload', 'command']);
  if (!argv) return null;
  if (ctx.program(s.reload.command[0]!, argv[0]!.text, ['reload', 'command', 0]) === null) return null;
  ctx.checkArgv(argv, ['reload', 'command'], 0);
  return { command: argv.map((a) => a.text) };
}
