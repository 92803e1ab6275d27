/**
 * IPAM in resolve: VIPs and per-node addresses, stability under any order of nodes, grace periods on a
 * fixed clock, conflicts with what underlay does not manage, re-adoption when the ledger is lost, and the
 * exhausted pool naming its claimants. Through resolveSite, as plan and apply reach it.
 */
import test from 'ava';
import { clusterDoc, doc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';
import { resolveSite } from './resolve-site.js';
import { NOTHING_OBSERVED, type IpamObservation } from './ipam-observation.js';
import type { Desired } from '../model/desired.js';
import { addressHash } from '../../reconcilers/address/kind.js';

type Doc = Parameters<typeof testSpec>[0][number];

const pool = (spec: Record<string, unknown> = {}) => doc('IPPool', 'lan', { cidr: '10.9.0.0/24', range: { start: '10.9.0.10', end: '10.9.0.20' }, ...spec });
const echo = moduleDoc('echo', { inputs: { vip: { type: 'string' }, mine: { type: 'string' } }, resources: [{ file: { path: '/etc/echo', content: '{{ inputs.mine }} {{ inputs.vip }}' } }] });

function site(nodes: readonly string[], extra: Doc[] = []): Doc[] {
  return [
    ...nodes.map((n, i) => node(n, `198.18.0.${i + 2}`, { roles: n.startsWith('lb') ? ['lb'] : [] })),
    pool(),
    echo,
    clusterDoc('c', {
      nodes: {},
      addresses: [
        { name: 'vip', pool: 'lan', holder: { roles: ['lb'] }, interface: 'eth1' },
        { name: 'data', pool: 'lan', perNode: {}, interface: 'eth1' },
      ],
      steps: [{ name: 's', module: 'echo', with: { mine: { fact: 'allocated.data' }, vip: { fact: 'allocated.vip' } } }],
    }),
    ...extra,
  ];
}

function resolve(docs: Doc[], ipam: Partial<IpamObservation> = {}): { desired: Desired | null; diagnostics: { code: string; message: string; severity: string }[] } {
  return resolveSite(testSpec(docs), {}, {}, { ipam: { ...NOTHING_OBSERVED, ...ipam } });
}

const addresses = (d: Desired | null): Record<string, string> =>
  Object.fromEntries((d?.services ?? []).filter((s) => s.key.startsWith('ip:')).map((s) => [s.key, (s.spec as unknown as { address: string }).address]));

/** What the ledger would hold after applying `d`: 'pool/name' -> address. */
const ledgerOf = (d: Desired | null): Record<string, string> => Object.fromEntries(Object.entries(addresses(d)).map(([k, v]) => [k.slice('ip:'.length), v]));

test('a VIP is held by the first matching node, every node gets its own address, both as address resources after their allocation', (t) => {
  const { desired, diagnostics } = resolve(site(['lb2', 'n1', 'lb1']));
  t.deepEqual(diagnostics, []);
  t.deepEqual(addresses(desired), {
    'ip:lan/c.data.lb1': '10.9.0.11',
    'ip:lan/c.data.lb2': '10.9.0.12',
    'ip:lan/c.data.n1': '10.9.0.13',
    'ip:lan/c.vip': '10.9.0.10',
  });
  const lb1 = desired!.nodes.find((n) => n.name === 'lb1')!;
  const vip = lb1.resources.find((r) => r.key === 'address:eth1/10.9.0.10/24')!;
  t.deepEqual(vip.spec, { kind: 'address', interface: 'eth1', address: '10.9.0.10', prefixLength: 24, allocation: 'lan/c.vip' });
  t.deepEqual(vip.dependsOn, ['pool:lan/ip:lan/c.vip']);
  // The file reads this node's address and the VIP on its holder: it waits for both to be up.
  const file = lb1.resources.find((r) => r.key === 'file:/etc/echo')!;
  t.true(file.dependsOn.includes('lb1/address:eth1/10.9.0.10/24'));
  t.true(file.dependsOn.includes('lb1/address:eth1/10.9.0.11/24'));
  t.is((file.spec as unknown as { content: string }).content, '10.9.0.11 10.9.0.10');
  // Every node reads the VIP, only its holder brings it up.
  const lb2 = desired!.nodes.find((n) => n.name === 'lb2')!;
  t.false(lb2.resources.some((r) => r.key.startsWith('address:') && r.key.includes('10.9.0.10')));
  t.is((lb2.resources.find((r) => r.key === 'file:/etc/echo')!.spec as unknown as { content: string }).content, '10.9.0.12 10.9.0.10');
});

test('adding, removing and reordering nodes never renumbers anyone', (t) => {
  const first = resolve(site(['n1', 'n2', 'n3', 'lb1']));
  const ledger = ledgerOf(first.desired);
  const shuffles = [
    ['lb1', 'n3', 'n2', 'n1'],
    ['n3', 'lb1', 'n1', 'n2', 'n4'],
    ['n2', 'lb1', 'n4', 'n5'],
    ['n5', 'n4', 'n3', 'n2', 'n1', 'lb1', 'n0'],
  ];
  for (const nodes of shuffles) {
    const again = addresses(resolve(site(nodes), { allocations: ledger }).desired);
    for (const [key, address] of Object.entries(again)) {
      const name = key.slice('ip:'.length);
      if (ledger[name] !== undefined) t.is(address, ledger[name], `${name} kept its address with nodes ${nodes.join(',')}`);
      else t.false(Object.values(ledger).includes(address), `${name} got a new address no one holds`);
    }
  }
  // The same observation, in any document order, gives the same allocation.
  t.deepEqual(addresses(resolve([...site(['n2', 'lb1', 'n1'])].reverse()).desired), addresses(resolve(site(['n1', 'n2', 'lb1'])).desired));
});

test('a released address is held for releaseAfter (its old name gets it back), then handed out again', (t) => {
  const released = { 'lan/c.data.n9': { address: '10.9.0.10', releasedAt: '2026-01-01T00:00:00.000Z' } };
  const during = resolve(site(['n1']), { released, now: '2026-01-01T23:59:59.000Z' });
  t.deepEqual(addresses(during.desired), { 'ip:lan/c.data.n1': '10.9.0.12', 'ip:lan/c.vip': '10.9.0.11' }, 'held within the default 24h');
  const after = resolve(site(['n1']), { released, now: '2026-01-02T00:00:00.000Z' });
  t.is(addresses(after.desired)['ip:lan/c.vip'], '10.9.0.10', 'free again once 24h have passed');
  const back = resolve(site(['n1', 'n9']), { released, now: '2026-01-01T12:00:00.000Z' });
  t.is(addresses(back.desired)['ip:lan/c.data.n9'], '10.9.0.10', 'n9 returns within the grace period: same address');
  const short = site(['n1']).map((d) => (d.kind === 'IPPool' ? pool({ releaseAfter: '30m' }) : d));
  t.is(addresses(resolve(short, { released, now: '2026-01-01T00:30:00.000Z' }).desired)['ip:lan/c.vip'], '10.9.0.10', 'releaseAfter: 30m');
  t.is(addresses(resolve(short, { released, now: '2026-01-01T00:29:59.000Z' }).desired)['ip:lan/c.vip'], '10.9.0.11', 'not a second before');
});

test('an address up on an interface underlay does not manage, or answering ARP, is skipped with a conflict warning', (t) => {
  const { desired, diagnostics } = resolve(site(['n1']), {
    unmanaged: [{ node: 'n1', interface: 'eth1', address: '10.9.0.10', prefixLength: 24 }],
    conflicts: { lan: { '10.9.0.11': 'answers ARP from node n1 on eth1 (52:54:00:12:34:56)' } },
  });
  t.deepEqual(addresses(desired), { 'ip:lan/c.data.n1': '10.9.0.13', 'ip:lan/c.vip': '10.9.0.12' });
  // The plan says why at the allocation that passed over them.
  t.is(
    (desired!.services.find((r) => r.key === 'ip:lan/c.vip')!.spec as unknown as { note: string }).note,
    'skipped 10.9.0.10: it is up on eth1 of node n1, and underlay did not put it there; 10.9.0.11: answers ARP from node n1 on eth1 (52:54:00:12:34:56)',
  );
  t.is((desired!.services.find((r) => r.key === 'ip:lan/c.data.n1')!.spec as unknown as { note?: string }).note, undefined);
  t.deepEqual(
    diagnostics.map((d) => [d.code, d.severity, d.message]).sort(),
    [
      ['AddressConflict', 'warning', 'IPPool "lan": 10.9.0.10 is in use outside underlay (it is up on eth1 of node n1, and underlay did not put it there): it is not handed out'],
      ['AddressConflict', 'warning', 'IPPool "lan": 10.9.0.11 is in use outside underlay (answers ARP from node n1 on eth1 (52:54:00:12:34:56)): it is not handed out'],
      ['NoAddressHolder', 'warning', 'no node of cluster "c" matches the holder of address "vip": it is allocated but brought up nowhere'],
    ].sort(),
  );
});

test('with the ledger lost, addresses underlay holds on the nodes are re-adopted, never renumbered', (t) => {
  const first = ledgerOf(resolve(site(['n1', 'n2', 'lb1'])).desired);
  t.deepEqual(first, { 'lan/c.data.lb1': '10.9.0.11', 'lan/c.data.n1': '10.9.0.12', 'lan/c.data.n2': '10.9.0.13', 'lan/c.vip': '10.9.0.10' });
  // Lost: what the nodes hold says who had what, here after n1 left and n0 came (it would have taken .11 first).
  const managed = [
    { node: 'lb1', interface: 'eth1', address: '10.9.0.10', prefixLength: 24 },
    { node: 'lb1', interface: 'eth1', address: '10.9.0.11', prefixLength: 24 },
    { node: 'n2', interface: 'eth1', address: '10.9.0.13', prefixLength: 24 },
  ];
  const { desired } = resolve(site(['n0', 'n2', 'lb1']), { managed });
  const again = addresses(desired);
  t.is(again['ip:lan/c.vip'], '10.9.0.10');
  t.is(again['ip:lan/c.data.n2'], '10.9.0.13');
  t.is(again['ip:lan/c.data.n0'], '10.9.0.12');
  const adopted = desired!.services.find((s) => s.key === 'ip:lan/c.data.n2')!.spec as unknown as { note: string };
  t.regex(adopted.note, /^re-adopted: underlay's address resource holds it on eth1 of node n2/);
});

test('an exhausted pool is an error at the claim naming the pool and its claimants', (t) => {
  const docs = site(['n1', 'n2', 'lb1']).map((d) => (d.kind === 'IPPool' ? pool({ range: { start: '10.9.0.10', end: '10.9.0.12' } }) : d));
  const { desired, diagnostics } = resolve(docs);
  t.is(desired, null);
  t.deepEqual(
    diagnostics.filter((d) => d.code === 'PoolExhausted').map((d) => [d.code, d.message]),
    [['PoolExhausted', 'IPPool "lan" has no free address left for "c.data.n2": its range holds 3 addresses, and it is claimed by c.vip, c.data.lb1, c.data.n1, c.data.n2']],
  );
});

test('a decommissioned node leaves its clusters: its per-node address is released, the VIP it held moves to the next holder', (t) => {
  const ledger = ledgerOf(resolve(site(['lb1', 'lb2'])).desired);
  const docs = site(['lb1', 'lb2']).map((d) => (d.kind === 'Node' && d.metadata.name === 'lb1' ? { ...d, spec: { ...(d.spec as object), decommission: true } } : d));
  const { desired } = resolve(docs, { allocations: ledger });
  const now = addresses(desired);
  t.is(now['ip:lan/c.data.lb1'], undefined, 'released');
  t.is(now['ip:lan/c.vip'], ledger['lan/c.vip'], 'the VIP keeps its address');
  t.true(desired!.nodes.find((n) => n.name === 'lb2')!.resources.some((r) => r.key === `address:eth1/${ledger['lan/c.vip']}/24`), 'now up on lb2');
});

test('re-adoption gives a node holding a VIP and its own address from one pool each back under its own name', (t) => {
  // lb1 holds both on eth1, in the order that taking the first free one for the first claim (the VIP) would swap.
  const held = (address: string, allocation: string) => ({
    node: 'lb1',
    interface: 'eth1',
    address,
    prefixLength: 24,
    hash: addressHash({ interface: 'eth1', address, prefixLength: 24, allocation }),
  });
  const managed = [held('10.9.0.14', 'lan/c.data.lb1'), held('10.9.0.15', 'lan/c.vip')];
  const now = addresses(resolve(site(['lb1']), { managed }).desired);
  t.deepEqual(now, { 'ip:lan/c.data.lb1': '10.9.0.14', 'ip:lan/c.vip': '10.9.0.15' });
  // An address brought up before its spec named its allocation (no hash to match) is still re-adopted.
  const unnamed = managed.map((m) => ({ ...m, hash: 'unknown' }));
  t.deepEqual(Object.values(addresses(resolve(site(['lb1']), { managed: unnamed }).desired)).sort(), ['10.9.0.14', '10.9.0.15']);
});
