/**
 * The address kind: an address on a node's network interface, `ip addr` style. Resolve places one on each
 * node that holds a per-node address or a VIP (cluster.addresses), after its allocation; a module may
 * declare one too. Observed with `ip -o addr show dev`; pruned only when underlay brought it up.
 */
import type { Change } from '../../controller/model/change.js';
import { formatAddress, parseAddress } from '../../controller/model/ip.js';
import { canonicalJson } from '../../controller/model/canonical-json.js';
import { sha256 } from '../../controller/model/sha256.js';
import { str } from '../details-support.js';
import { pruneResult } from '../diff-support.js';
import type { DiffInput, DiffResult, NodeKind, NodeProbe, ProbeRequest } from '../kind.js';
import { recordedWhileWritten } from '../ownership.js';
import { ADDRESS_KIND, addressIdentity, parseAddressIdentity } from './identity.js';
import { AddressResource, type AddressDoc, type DesiredAddress, ObservedAddress } from './schema.js';

/** `address/prefix` as a spec, or null when it is not one (load reports it: checks below). */
export function addressSpec(iface: string, text: string): DesiredAddress | null {
  const slash = text.lastIndexOf('/');
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const prefix = slash < 0 ? '' : text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefix) || Number(prefix) > (address.family === 4 ? 32 : 128)) return null;
  return { kind: ADDRESS_KIND, interface: iface, address: formatAddress(address), prefixLength: Number(prefix) };
}

/** The hash the managed record keeps for an address resource placed for an allocation (its spec's, as for every kind). */
export function addressHash(a: Omit<DesiredAddress, 'kind'>): string {
  return sha256(canonicalJson({ kind: ADDRESS_KIND, ...a }));
}

function parse(request: ProbeRequest, answer: readonly string[]): ObservedAddress {
  const id = parseAddressIdentity(`${request.args[0] ?? ''}/${request.args[1] ?? ''}`) ?? { interface: request.args[0] ?? '', address: '', prefixLength: 0 };
  if (answer[0] === 'noif') return { kind: ADDRESS_KIND, ...id, present: false, interfaceMissing: true };
  return { kind: ADDRESS_KIND, ...id, present: answer[0] === '1' };
}

/** `$a` the interface, `$b` address/prefix exactly as `ip -o addr` prints it after inet or inet6. */
const addressProbe: NodeProbe<DesiredAddress, ObservedAddress> = {
  arms: {
    address: `if ! ip -o addr show dev "$a" >/dev/null 2>&1; then record R "$i" noif
    elif ip -o addr show dev "$a" | awk -v want="$b" '{ for (f = 1; f < NF; f++) if (($f == "inet" || $f == "inet6") && $(f + 1) == want) found = 1 } END { exit !found }'; then record R "$i" 1
    else record R "$i" 0; fi`,
  },
  requests: (spec) => [{ tag: 'address', args: [spec.interface, `${spec.address}/${spec.prefixLength}`] }],
  requestsForIdentity: (identity) => {
    const id = parseAddressIdentity(identity);
    return id ? [{ tag: 'address', args: [id.interface, `${id.address}/${id.prefixLength}`] }] : [];
  },
  parse,
};

const shown = (r: Record<string, unknown> | null): string => (r ? `${str(r.address) ?? '?'}/${String(r.prefixLength)} on ${str(r.interface) ?? '?'}` : '');

function diffAddress({ desired, observed, managedHash }: DiffInput<DesiredAddress, ObservedAddress>): DiffResult | null {
  if (desired === null) {
    const before = observed?.present ? { address: observed.address, interface: observed.interface, prefixLength: observed.prefixLength } : null;
    return pruneResult(observed ? { exists: observed.present } : undefined, managedHash, before);
  }
  if (observed?.present) return null;
  const after = { address: desired.address, interface: desired.interface, prefixLength: desired.prefixLength };
  const reason = observed?.interfaceMissing ? `interface ${desired.interface} does not exist on the node` : `bring up ${shown(after)}`;
  return { action: 'create', reason, before: null, after };
}

export const addressKind: NodeKind<AddressDoc, DesiredAddress, ObservedAddress> = {
  kind: ADDRESS_KIND,
  target: 'node',
  schema: () => AddressResource,
  observedSchema: ObservedAddress,
  identity: {
    of: (a) => {
      const spec = addressSpec(a.interface, a.address);
      return { value: spec ? addressIdentity(spec) : `${a.interface}/${a.address}`, field: ['address'] };
    },
    ofSpec: (a) => addressIdentity(a),
  },
  paths: () => [],
  checks(a, report) {
    if (!addressSpec(a.interface, a.address)) report(['address'], 'SchemaViolation', `"${a.address}" is not an address with its prefix length, such as 198.18.0.10/24`);
  },
  render: (a) => addressSpec(a.interface, a.address),
  // Content: what the step's services bind to is up before they start.
  order: { role: 'content', deletes: 'content', rank: 0 },
  diff: diffAddress,
  details: (c: Change) => ({ attributes: [shown(c.after ?? c.before)].filter((l) => l !== ''), content: [] }),
  probe: addressProbe,
  ownership: recordedWhileWritten,
};
