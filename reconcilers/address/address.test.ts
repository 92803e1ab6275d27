/**
 * The address kind: load's check of its field, every branch of its diff, its details, and its probe run by
 * the local sh against this machine's loopback (read only).
 */
import test from 'ava';
import { loadSpec } from '../../controller/load/load-spec.js';
import { cluster, module, revisionOf, validSite } from '../../test/support/site-files.js';
import { node as desiredNode, resource } from '../../test/support/build-desired.js';
import { buildProbe } from '../probe/build-probe.js';
import { parseProbeOutput } from '../probe/parse-probe-output.js';
import { registry } from '../registry.js';
import { runLocally } from '../../test/support/local-transport.js';
import { addressKind, addressSpec } from './kind.js';
import type { DesiredAddress, ObservedAddress } from './schema.js';

const spec = (iface: string, text: string): DesiredAddress => addressSpec(iface, text)!;

test('a module may declare an address; one that is not address/prefix is refused at its field', (t) => {
  const files = {
    ...validSite(),
    'modules/net.yaml': module('net', '  resources:\n    - address: {interface: eth1, address: 198.18.0.10/24}\n    - address: {interface: eth1, address: 198.18.0.11}\n'),
    'clusters/net.yaml': cluster('net', '  steps:\n    - name: net\n      module: net\n'),
  };
  const loaded = loadSpec(revisionOf(files));
  t.deepEqual(
    loaded.diagnostics.map((d) => [d.code, d.location?.file, d.field]),
    [['SchemaViolation', 'modules/net.yaml', 'spec.resources[1].address.address']],
  );
  t.deepEqual(addressSpec('eth1', '2001:0db8::0010/64'), { kind: 'address', interface: 'eth1', address: '2001:db8::10', prefixLength: 64 });
  t.is(addressSpec('eth1', '10.0.0.1/33'), null);
});

test('diff: brought up when absent (saying so when the interface is missing), nothing when present, pruned only when managed', (t) => {
  const d = spec('eth1', '198.18.0.10/24');
  const seen = (present: boolean, extra: Partial<ObservedAddress> = {}): ObservedAddress => ({ kind: 'address', interface: 'eth1', address: '198.18.0.10', prefixLength: 24, present, ...extra });
  const base = { managedHash: undefined, desiredHash: undefined, serviceManager: 'runit' as const };
  t.like(addressKind.diff({ ...base, desired: d, observed: seen(false) }), { action: 'create', reason: 'bring up 198.18.0.10/24 on eth1' });
  t.like(addressKind.diff({ ...base, desired: d, observed: seen(false, { interfaceMissing: true }) }), { action: 'create', reason: 'interface eth1 does not exist on the node' });
  t.is(addressKind.diff({ ...base, desired: d, observed: seen(true) }), null);
  t.is(addressKind.diff({ ...base, desired: null, observed: seen(true) }), null, 'not underlay’s: left alone');
  t.like(addressKind.diff({ ...base, managedHash: 'h', desired: null, observed: seen(true) }), { action: 'delete', reason: 'no longer in Git, managed by underlay' });
  t.like(addressKind.diff({ ...base, managedHash: 'h', desired: null, observed: seen(false) }), { action: 'delete', reason: 'no longer in Git; already absent on the node, only the managed record is dropped' });
  const c = { after: { address: '198.18.0.10', interface: 'eth1', prefixLength: 24 }, before: null } as never;
  t.deepEqual(addressKind.details(c), { attributes: ['198.18.0.10/24 on eth1'], content: [] });
});

test('the probe reads ip -o addr on the node: present, absent, and no such interface', async (t) => {
  const wanted = [spec('lo', '127.0.0.1/8'), spec('lo', '127.0.0.1/32'), spec('lo', '10.255.254.253/32'), spec('nosuch0', '10.0.0.1/24')];
  const probe = buildProbe(registry, desiredNode('n1', wanted.map((w) => resource(w))));
  const parsed = parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin));
  const at = (key: string) => parsed.resources[`address:${key}`];
  t.deepEqual(at('lo/127.0.0.1/8'), { kind: 'address', interface: 'lo', address: '127.0.0.1', prefixLength: 8, present: true });
  t.like(at('lo/127.0.0.1/32'), { present: false }, 'another prefix length is another address');
  t.like(at('lo/10.255.254.253/32'), { present: false });
  t.like(at('nosuch0/10.0.0.1/24'), { present: false, interfaceMissing: true });
});
