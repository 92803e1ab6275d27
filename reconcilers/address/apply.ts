/**
 * Brings an address up on its interface or takes it down, `ip addr` with the values as arguments. Both are
 * idempotent (a crash may make apply run them twice): `replace` adds or keeps, and a delete of an address
 * no longer there succeeds.
 */
import type { Change } from '../../controller/model/change.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import { APPLIED, type ApplyOutcome, type NodeApplyContext } from '../kind-effects.js';
import { assertPlainValue, runScriptOk } from '../node-exec.js';
import { parseAddressIdentity } from './identity.js';

const UP_SCRIPT = `set -eu
ip addr replace "$1" dev "$2"
`;

const DOWN_SCRIPT = `set -eu
if ip -o addr show dev "$2" 2>/dev/null | awk -v want="$1" '{ for (f = 1; f < NF; f++) if (($f == "inet" || $f == "inet6") && $(f + 1) == want) found = 1 } END { exit !found }'; then
  ip addr del "$1" dev "$2"
fi
`;

export async function applyAddress(ctx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  const id = parseAddressIdentity(keyIdentity(change.key));
  if (!id) throw new TypeError(`${change.id}: not an address key`);
  const cidr = `${id.address}/${id.prefixLength}`;
  assertPlainValue(ctx.node.name, 'interface', id.interface);
  assertPlainValue(ctx.node.name, 'address', cidr);
  if (change.action === 'delete') await runScriptOk(ctx, DOWN_SCRIPT, [cidr, id.interface], { what: `taking ${cidr} down on ${id.interface}` });
  else await runScriptOk(ctx, UP_SCRIPT, [cidr, id.interface], { what: `bringing ${cidr} up on ${id.interface}` });
  return APPLIED;
}
