/**
 * A pinned host key is the only thing that makes a node trusted, so it is read, not just pattern-matched:
 * a key that cannot be a key of its stated type would refuse every connection at apply time, after
 * `validate` had said "Valid". One key pinned on two nodes means either node can stand in for the other,
 * and which one is wrong is for a person to decide: both are told.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import { readPublicKeyLine } from '../spec/ssh-public-key.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';

const FIELD = ['spec', 'ssh', 'hostKey'];

export function checkHostKeys(catalog: Catalog): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byKey = new Map<string, string[]>();
  for (const name of Object.keys(catalog.nodes).sort()) {
    const node = catalog.nodes[name]!;
    const reading = readPublicKeyLine(node.doc.spec.ssh.hostKey);
    if (!reading.ok) {
      out.push(diagnosticAt(node, FIELD, 'InvalidHostKey', `not a usable host key: ${reading.problem}; copy the line from \`underlay nodes keyscan\` or the node's /etc/ssh/ssh_host_*_key.pub`));
      continue;
    }
    // The comment is not part of the key: the same blob with two comments is the same key.
    byKey.set(reading.data, [...(byKey.get(reading.data) ?? []), name]);
  }
  for (const names of byKey.values()) {
    if (names.length < 2) continue;
    for (const name of names) {
      const others = names.filter((n) => n !== name).map((n) => `"${n}" (${catalog.nodes[n]!.location.file})`);
      out.push(diagnosticAt(catalog.nodes[name]!, FIELD, 'DuplicateHostKey', `the same host key is pinned on node ${others.join(', ')}: each machine has its own key, so one of the pins is wrong`));
    }
  }
  return out;
}
