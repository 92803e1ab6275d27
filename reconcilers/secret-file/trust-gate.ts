/**
 * Trust before secrets (DESIGN.md principle 5): a secret goes only to a node whose pinned host key the
 * connection of this run presented. The SSH transport refuses any other key before authenticating, so
 * this asks it for the key it verified rather than assuming so: a transport that cannot tell (a test's,
 * a future one) delivers no secret, and a node without a usable pin is refused before anything is read.
 */
import { UnderlayError } from '../../controller/model/errors.js';
import { fingerprint, parseHostKey } from '../../controller/transport/host-key.js';
import type { NodeApplyContext } from '../kind-effects.js';

export class SecretDeliveryRefused extends UnderlayError<{ node: string; secret: string }> {
  declare readonly code: 'SecretNodeUnpinned' | 'SecretNodeUnverified';

  constructor(code: SecretDeliveryRefused['code'], target: { node: string; secret: string }, why: string) {
    super({ code, message: `node ${target.node}: secret ${target.secret} not delivered: ${why}`, data: target });
  }
}

function pinnedFingerprint(node: string, secret: string, hostKey: string): string {
  if (hostKey.trim() === '') throw new SecretDeliveryRefused('SecretNodeUnpinned', { node, secret }, 'the node has no pinned host key');
  try {
    return fingerprint(parseHostKey(hostKey).blob);
  } catch (error) {
    throw new SecretDeliveryRefused('SecretNodeUnpinned', { node, secret }, `its pinned host key is unusable (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Resolves when this run's connection to the node presented its pinned key; throws (naming the node) otherwise. */
export async function assertTrustedForSecret(ctx: NodeApplyContext, secret: string): Promise<void> {
  const node = ctx.node.name;
  const pinned = pinnedFingerprint(node, secret, ctx.node.hostKey);
  if (!ctx.transport.verifiedHostKey) {
    throw new SecretDeliveryRefused('SecretNodeUnverified', { node, secret }, 'the transport cannot tell which host key the node presented');
  }
  // A mismatch fails here already, as the transport's HostKeyMismatch naming both fingerprints.
  const presented = await ctx.transport.verifiedHostKey(ctx.node);
  if (presented !== pinned) {
    throw new SecretDeliveryRefused('SecretNodeUnverified', { node, secret }, `the connection presented ${presented}, the pin is ${pinned}`);
  }
}
