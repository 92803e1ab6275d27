/**
 * The node's managed record cannot be torn, on a real runit test host: killed inside its update (the new
 * record staged but not renamed; fewer bytes sent than announced, as a controller killed mid-send leaves)
 * the old record stays whole, and the next apply completes; a corrupt record is restored from the copy kept
 * before its last update, with a note, restart flags included; with both corrupt the node is refused as
 * ManagedRecordCorrupt with what to do, not as unreachable, and nothing on it is touched.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseManagedRecord, renderManagedRecord } from '../../reconcilers/managed-record-format.js';
import { poll } from '../hosts/exec.js';
import { onHost } from './support/node-checks.js';
import { applyKilled, useOneNodeSite } from './support/one-node-site.js';

const RECORD = '/var/lib/underlay/managed.json';
const PREVIOUS = `${RECORD}.prev`;

const s = useOneNodeSite();

const onNode = (nodePath: string): string => onHost(s().hosts, 'node1', nodePath);
const recordBytes = (): string => readFileSync(onNode(RECORD), 'utf8');
const stagedCopies = (): string[] => readdirSync(onNode('/var/lib/underlay')).filter((f) => f.startsWith('.underlay.'));

/** Writes a file on the node from inside it (not into its overlay from the host). */
async function writeOnNode(t: ExecutionContext, nodePath: string, content: string): Promise<void> {
  const r = await s().hosts.run('node1', `printf '%s' '${content.replaceAll("'", `'\\''`)}' > ${nodePath}`);
  t.is(r.code, 0, r.stderr);
}

async function newBanner(text: string): Promise<void> {
  await s().commit(`banner: ${text}`, async (dir) => {
    const file = path.join(dir, 'site.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/motd: ".*"/, `motd: "${text}"`));
  });
}

async function applied(t: ExecutionContext): Promise<void> {
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
}

async function converges(t: ExecutionContext): Promise<string> {
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  const again = await s().underlay(['apply', '--no-color', '--detailed-exitcode']);
  t.is(again.code, 0, `the apply after it has nothing to do:\n${again.stdout}\n${again.stderr}`);
  return apply.stdout + apply.stderr;
}

test.serial('killed while sending the record (fewer bytes than announced): the node refuses them and keeps the old record whole', async (t) => {
  await converges(t);
  await newBanner('Truncated in transit.');
  const before = recordBytes();
  const killed = await applyKilled(s(), { faultPoint: 'record-truncated:node1/file:/etc/motd' });
  t.is(killed.reached, 'record-truncated node1/file:/etc/motd');
  t.is(recordBytes(), before, 'the record is byte for byte the old one');
  t.notThrows(() => parseManagedRecord(recordBytes()));
  // The node sees the short stdin when the dead controller's channel closes, so it may still be cleaning up.
  await poll('the node to remove the short copy', 30_000, () => (stagedCopies().length === 0 ? true : undefined));
  t.false(readFileSync(onNode('/etc/motd'), 'utf8').includes('Truncated in transit.'), 'the change itself never started');

  await converges(t);
  t.true(readFileSync(onNode('/etc/motd'), 'utf8').includes('Truncated in transit.'));
  t.notThrows(() => parseManagedRecord(readFileSync(onNode(PREVIOUS), 'utf8')), 'the copy before the last update is kept');
});

test.serial('killed with the new record staged on the node, not renamed: the old record stays, the next update clears the copy', async (t) => {
  await newBanner('Staged, not renamed.');
  const before = recordBytes();
  const killed = await applyKilled(s(), { faultPoint: 'record-staged:node1/file:/etc/motd' });
  t.is(killed.reached, 'record-staged node1/file:/etc/motd');
  t.is(recordBytes(), before);
  const copies = stagedCopies();
  t.is(copies.length, 1, copies.join(', '));
  const staged = parseManagedRecord(readFileSync(onNode(`/var/lib/underlay/${copies[0]}`), 'utf8'));
  t.not(staged['file:/etc/motd']?.hash, parseManagedRecord(before)['file:/etc/motd']?.hash, 'the staged copy is the complete new record');

  await converges(t);
  t.deepEqual(stagedCopies(), []);
});

test.serial('an empty record is restored from its previous copy, with a note and its restart flags; the next apply is quiet', async (t) => {
  await applied(t);
  const good = parseManagedRecord(recordBytes());
  const flagged = { ...good, 'command:provisioned-stamp': { hash: good['command:provisioned-stamp']!.hash, restartPending: true as const } };
  await writeOnNode(t, PREVIOUS, renderManagedRecord(flagged));
  // What a controller killed inside the old record update could leave.
  await writeOnNode(t, RECORD, '');

  const plan = await s().underlay(['plan', '--no-color']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /Warning: node node1: ManagedRecordRestored: \/var\/lib\/underlay\/managed\.json is empty; restored from \/var\/lib\/underlay\/managed\.json\.prev/);
  t.regex(plan.stdout, /run command:provisioned-stamp/, 'the owed re-run the copy remembers is planned');

  const output = await converges(t);
  t.regex(output, /ManagedRecordRestored/);
  t.is(recordBytes(), renderManagedRecord(good, { site: 'lab', node: 'node1' }), 'restored, and the owed re-run done and cleared, and owned');
  const quiet = await s().underlay(['plan', '--no-color']);
  t.notRegex(quiet.stdout, /ManagedRecord/);
});

test.serial('both copies corrupt: the node is refused as ManagedRecordCorrupt, saying what to do, and nothing on it is touched', async (t) => {
  await applied(t);
  await writeOnNode(t, RECORD, '{"version":1,"resources":{"fi');
  await writeOnNode(t, PREVIOUS, '');
  await newBanner('Never written.');

  const plan = await s().underlay(['plan', '--no-color']);
  t.regex(plan.stdout, /Warning: node node1: ManagedRecordCorrupt: .*managed\.json is corrupt \(not JSON.*managed\.json\.prev is empty.*plans and changes nothing there\. To recover/);
  t.notRegex(plan.stdout, /update file:\/etc\/motd/);

  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 1, `${apply.stdout}\n${apply.stderr}`);
  t.regex(apply.stdout, /not converged: node1: .*managed\.json is corrupt.* \[ManagedRecordCorrupt\]$/m);
  t.notRegex(apply.stdout + apply.stderr, /unreachable/i);
  const status = JSON.parse((await s().underlay(['status', '--output', 'json'])).stdout) as { nodes: { name: string; conditions: { type: string; status: string; reason: string; message: string }[] }[] };
  const conditions = status.nodes.find((n) => n.name === 'node1')?.conditions ?? [];
  t.like(conditions.find((c) => c.type === 'Failed'), { status: 'True', reason: 'ManagedRecordCorrupt' });
  t.like(conditions.find((c) => c.type === 'Ready'), { status: 'False', reason: 'ManagedRecordCorrupt' });
  t.regex(conditions.find((c) => c.type === 'Failed')?.message ?? '', /To recover, put a good record back at \/var\/lib\/underlay\/managed\.json .* or delete both files/);
  t.is(recordBytes(), '{"version":1,"resources":{"fi', 'not overwritten');
  t.false(readFileSync(onNode('/etc/motd'), 'utf8').includes('Never written.'));

  // The operator's way out the message names: delete both, and the next apply takes the node on afresh.
  t.is((await s().hosts.run('node1', `rm -f ${RECORD} ${PREVIOUS}`)).code, 0);
  await converges(t);
  t.true(readFileSync(onNode('/etc/motd'), 'utf8').includes('Never written.'));
  t.true(existsSync(onNode(RECORD)));
  t.truthy(parseManagedRecord(recordBytes())['file:/etc/motd']);
});
