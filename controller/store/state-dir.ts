import path from 'node:path';

/**
 * Where the controller keeps its state unless --state-dir or UNDERLAY_STATE_DIR says otherwise: one place
 * per user, never the current directory (an apply run from another directory would start a second,
 * empty history). `$XDG_STATE_HOME/underlay`; as root `/var/lib/underlay/controller`, apart from the
 * record a managed node keeps in /var/lib/underlay, since the controller may run on a node it manages;
 * else `~/.local/state/underlay` (XDG's default).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv, uid: number | undefined, home: string): string {
  // XDG: a relative XDG_STATE_HOME is invalid and ignored.
  const xdg = env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'underlay');
  if (uid === 0) return '/var/lib/underlay/controller';
  return path.join(env.HOME || home, '.local', 'state', 'underlay');
}

export const DEFAULT_STATE_DIR_HELP = '$XDG_STATE_HOME/underlay, else /var/lib/underlay/controller for root, else ~/.local/state/underlay';
