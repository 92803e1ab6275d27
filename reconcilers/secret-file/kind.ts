/**
 * The secretFile kind: a controller secret delivered to a node as a file (a TSIG key, a bootstrap token,
 * a service-account key). Load holds it to the secret's policy (Site.spec.secrets); the probe compares
 * keyed digests (probe.ts); apply reads the secret at apply time and writes it only over a connection that
 * presented the node's pinned host key (apply.ts, ADR 0014). Pruned when underlay wrote it.
 */
import { normaliseMode } from '../diff-support.js';
import type { NodeKind } from '../kind.js';
import { recordedWhileWritten } from '../ownership.js';
import { secretFileDetails } from './details.js';
import { diffSecretFile } from './diff.js';
import { secretFileProbe } from './probe.js';
import { type DesiredSecretFile, ObservedSecretFile, type SecretFileDoc, SecretFileResource } from './schema.js';

export const secretFileKind: NodeKind<SecretFileDoc, DesiredSecretFile, ObservedSecretFile> = {
  kind: 'secretFile',
  target: 'node',
  schema: () => SecretFileResource,
  observedSchema: ObservedSecretFile,
  identity: { of: (f) => ({ value: f.path, field: ['path'] }), ofSpec: (f) => f.path },
  delivers: (f) => [{ secret: f.secret, field: ['secret'] }],
  paths: (f) => [{ path: f.path, field: ['path'] }],
  render(f, ctx) {
    const path = ctx.path(f.path, ['path']);
    if (path === null) return null;
    return { kind: 'secretFile', path, secret: f.secret, mode: normaliseMode(f.mode), owner: f.owner, group: f.group };
  },
  order: { role: 'content', paths: (f) => [f.path], deletes: 'content', rank: 1 },
  diff: diffSecretFile,
  details: secretFileDetails,
  probe: secretFileProbe,
  ownership: recordedWhileWritten,
};
