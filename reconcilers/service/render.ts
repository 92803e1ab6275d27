/**
 * A service entry rendered for one node: its program path, arguments and environment rendered and held to
 * the shell-safety rules (values are argv, never code), and the references that restart it.
 */
import type { RenderContext } from '../kind.js';
import type { DesiredService, ServiceDoc } from './schema.js';

export function renderService(s: ServiceDoc, ctx: RenderContext): DesiredService | null {
  const command = ctx.path(s.command, ['command'], { program: true });
  const args = ctx.texts(s.args, ['args']);
  const restartOnChangeOf = ctx.refs(s.restartOnChangeOf, ['restartOnChangeOf']);
  const environment: Record<string, string> = {};
  let ok = args !== null && command !== null && restartOnChangeOf !== null;
  for (const name of Object.keys(s.environment).sort()) {
    const r = ctx.text(s.environment[name]!, ['environment', name]);
    if (r) environment[name] = r.text;
    else ok = false;
  }
  if (!ok || !args || command === null || restartOnChangeOf === null) return null;
  ctx.checkArgv([{ text: command, interpolated: [] }, ...args], ['args'], 1);
  ctx.checkEnvironment(environment, ['environment']);
  return {
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
}
