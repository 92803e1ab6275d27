/**
 * The probe's output is framed (every field length-prefixed), on a real runit test host: a hostname with
 * line breaks that spells records of the old line format and of the framed one is observed as exactly that
 * string, and injects nothing (the forged addresses would otherwise reach load-balancer backends and peers).
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InventorySchema } from '../../controller/inventory/inventory.js';
import { useOneNodeSite } from './support/one-node-site.js';
import type { Inventory } from '../../controller/model/observed.js';

const s = useOneNodeSite();

/** sethostname(2) itself: hostname(1) refuses such names, the kernel takes any 64 bytes. */
async function setHostname(t: ExecutionContext, pythonLiteral: string): Promise<void> {
  const r = await s().hosts.run('node1', `python3 -c 'import socket; socket.sethostname(${pythonLiteral})'`);
  t.is(r.code, 0, r.stderr);
}

async function observed(t: ExecutionContext): Promise<Inventory['nodes'][string]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-framing-'));
  try {
    const file = path.join(dir, 'inventory.json');
    const r = await s().underlay(['inventory', '--out', file]);
    t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const node = InventorySchema.parse(JSON.parse(await readFile(file, 'utf8'))).nodes.node1;
    if (!node) throw new Error('node1 is not in the inventory');
    return node;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test.serial('a hostname with line breaks and forged records is observed as exactly itself, and injects nothing', async (t) => {
  t.teardown(() => s().hosts.run('node1', 'hostname node1'));
  const before = await observed(t);
  const address = s().hosts.hosts[0]!.address;
  t.true((before.facts.addresses as { address: string }[]).some((a) => a.address === address));

  // An address record in the old line format (which the old parser took), then one in the framed format,
  // lengths included. A hostname holds at most 64 bytes.
  for (const forged of ['x\nA\t1: e inet 203.0.113.6/8', 'x\n1:A 24:1: e inet 198.51.100.7/8\n1:F 6:os-id 6:forged']) {
    t.true(Buffer.byteLength(forged) <= 64);
    await setHostname(t, JSON.stringify(forged));
    const after = await observed(t);
    t.is(after.facts.hostname, forged);
    t.deepEqual(after.facts.addresses, before.facts.addresses, 'no forged address');
    t.deepEqual({ ...after.facts, hostname: 'node1' }, before.facts, 'every other fact as before');
    t.deepEqual(after.managed, before.managed);
    t.deepEqual(after.resources, before.resources);
  }

  // Line breaks at the end are part of it too.
  await setHostname(t, JSON.stringify('trailing\n\n'));
  t.is((await observed(t)).facts.hostname, 'trailing\n\n');
});
