/**
 * FAKE nodes for tests of node-side scripts that need more than one node: every "node" is the local sh, with
 * its own directory standing for its /var/lib/underlay (each argv value under that path is rewritten into
 * it). An alias maps a second node name to another's directory: one machine reached under two names.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { NODE_STATE_DIR } from '../../reconcilers/managed-record-format.js';
import type { Transport } from '../transport/transport.js';

export function localNodes(root: string, aliases: Record<string, string> = {}): Transport & { stateDir(node: string): string } {
  const stateDir = (node: string): string => path.join(root, aliases[node] ?? node);
  return {
    stateDir,
    exec: (node, argv, options) =>
      new Promise((resolve) => {
        const mapped = argv.map((a) => (a === NODE_STATE_DIR || a.startsWith(`${NODE_STATE_DIR}/`) ? stateDir(node.name) + a.slice(NODE_STATE_DIR.length) : a));
        const child = execFile(mapped[0] as string, mapped.slice(1), { encoding: 'buffer' }, (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 255) : 0, stdout, stderr }),
        );
        // Some scripts exit before they read their stdin.
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(options?.stdin ?? '');
      }),
    close: () => Promise.resolve(),
  };
}
