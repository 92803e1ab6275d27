/**
 * Trust before secrets, end to end on real test hosts through the real CLI: a controller secret delivered
 * as a file with its mode and owner to the nodes its policy lists; a re-plan is empty; rotating it in the
 * store, or editing it on a node, plans a change that says only "changed" (and drift "secret content
 * changed"), and which of the two it was, by the mark each write leaves on the node; a node whose host key
 * does not match its pin gets nothing (apply refuses, naming it). Then every output, the plans (text, JSON,
 * Markdown, the saved file), the inventory snapshot, status and the state directory (the journal's database,
 * byte for byte) are searched for each value the secret had, for its plain sha256 and for the marks: none
 * holds any, and no mark holds a value.
 */
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseDocument } from 'yaml';
import type { DriftReport } from '../../controller/drift/drift-report.js';
import { stateDatabaseFile } from '../../controller/store/sqlite-store.js';
import { createE2ESite, type CliResult, type E2ESite } from './support/e2e-site.js';
import { foreignHostKey } from './support/foreign-host-key.js';
import { onHost, ssh } from './support/node-checks.js';

const TOKEN_PATH = '/etc/bootstrap-token';
/** Where a write leaves the file's mark (reconcilers/secret-file/secret-mark.ts). */
const MARK_PATH = `/var/lib/underlay/secret-marks/${createHash('sha256').update(TOKEN_PATH).digest('hex')}`;

const CLUSTER = `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: etcd
spec:
  nodes:
    roles: [etcd]
  steps:
    - name: token
      module: token
`;

const MODULE = `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: token
spec:
  resources:
    - secretFile:
        path: ${TOKEN_PATH}
        secret: bootstrap-token
        mode: "0440"
        owner: root
        group: nogroup
`;

const POLICY = `  secrets:
    - name: bootstrap-token
      nodes: {roles: [etcd]}
`;

let site: E2ESite | undefined;
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};

test.before(async () => {
  site = await createE2ESite({ count: 2 });
  await site.commit('two nodes, a bootstrap token for each', async (dir) => {
    await rm(path.join(dir, 'nodes/node3.yaml'));
    await writeFile(path.join(dir, 'cluster.yaml'), CLUSTER);
    await writeFile(path.join(dir, 'modules/token.yaml'), MODULE);
    await writeFile(path.join(dir, 'site.yaml'), (await readFile(path.join(dir, 'site.yaml'), 'utf8')) + POLICY);
  });
});
test.after.always(async () => {
  await site?.teardown();
});

/** Every value the secret had, every mark a node held, and everything any command printed or saved: searched at the end. */
const values: Buffer[] = [];
const marks: Buffer[] = [];
const outputs: { what: string; text: string }[] = [];

async function setSecret(): Promise<Buffer> {
  // Printable, as a bootstrap token is: the forms searched for below are exactly its bytes, and their sha256.
  const value = Buffer.from(`ul-token-${randomBytes(24).toString('hex')}\n`);
  values.push(value);
  await writeFile(path.join(s().secretsDir, 'bootstrap-token'), value, { mode: 0o600 });
  return value;
}

async function underlay(what: string, args: string[]): Promise<CliResult> {
  const result = await s().underlay(args);
  outputs.push({ what, text: result.stdout + result.stderr });
  return result;
}

interface PlanJson {
  changes: { id: string; action: string; reason: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }[];
}

async function planJson(what: string): Promise<PlanJson> {
  const result = await underlay(what, ['plan', '--output', 'json']);
  return JSON.parse(result.stdout) as PlanJson;
}

const onNode = (name: string): string => onHost(s().hosts, name, TOKEN_PATH);
const ids = (plan: PlanJson): string[] => plan.changes.map((c) => `${c.action} ${c.id}`).sort();

/** The node's mark of the last write, kept for the search at the end. */
function markOn(name: string): Buffer {
  const mark = readFileSync(onHost(s().hosts, name, MARK_PATH));
  marks.push(mark);
  return mark;
}

async function observedToken(what: string): Promise<Record<string, unknown>> {
  const inventory = await underlay(what, ['inventory']);
  if (inventory.code !== 0) throw new Error(inventory.stderr);
  const nodes = (JSON.parse(inventory.stdout) as { nodes: Record<string, { resources: Record<string, Record<string, unknown>> }> }).nodes;
  return Object.fromEntries(Object.entries(nodes).map(([name, n]) => [name, n.resources[`secretFile:${TOKEN_PATH}`] ?? {}]));
}

test.serial('delivered with mode and owner to the nodes its policy lists, and a re-plan is empty', async (t) => {
  const value = await setSecret();
  const applied = await underlay('first apply', ['apply', '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  for (const name of ['node1', 'node2']) {
    t.deepEqual(readFileSync(onNode(name)), value, name);
    const st = statSync(onNode(name));
    t.is(st.mode & 0o7777, 0o440, name);
    t.is(st.uid, 0);
    t.is(st.gid, 65534, 'group nogroup');
    t.regex(markOn(name).toString(), /^[0-9a-f]{64}\n$/, `${name}: the write left its keyed digest as the mark`);
    t.is(statSync(onHost(s().hosts, name, MARK_PATH)).mode & 0o777, 0o600);
    t.is(statSync(path.dirname(onHost(s().hosts, name, MARK_PATH))).mode & 0o777, 0o700);
  }
  t.notDeepEqual(markOn('node1'), markOn('node2'), 'each node\'s under its own key');
  t.deepEqual(readdirSync(path.dirname(onNode('node1'))).filter((f) => f.startsWith('.underlay.bootstrap-token')), [], 'no temporary copy left');
  t.deepEqual((await planJson('re-plan')).changes, []);
});

test.serial('rotated in the store: the plan says changed, no value; applied from the store at apply time', async (t) => {
  const value = await setSecret();
  const plan = await planJson('plan after rotation');
  t.deepEqual(ids(plan), ['update node1/secretFile:/etc/bootstrap-token', 'update node2/secretFile:/etc/bootstrap-token']);
  for (const c of plan.changes) t.is(c.reason, 'secret bootstrap-token rotated in the store since underlay wrote it (keyed digest)', c.id);
  t.like(await observedToken('inventory after rotation'), { node1: { content: 'differs', storeSinceWrite: 'changed' }, node2: { content: 'differs', storeSinceWrite: 'changed' } });
  const before = markOn('node1');
  t.deepEqual(plan.changes[0]!.after, { group: 'nogroup', mode: '0440', owner: 'root', path: TOKEN_PATH, secret: 'bootstrap-token' });
  const text = await underlay('text plan', ['plan', '--no-color']);
  t.true(text.stdout.includes('secret bootstrap-token, mode 0440, owner root:nogroup, content: changed'), text.stdout);
  await underlay('markdown plan', ['plan', '--output', 'markdown']);
  const saved = path.join(s().stateDir, 'rotation.plan.json');
  await underlay('saved plan', ['plan', '--out', saved]);
  outputs.push({ what: 'saved plan file', text: await readFile(saved, 'utf8') });
  const applied = await underlay('apply of the saved plan', ['apply', '--plan', saved, '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  for (const name of ['node1', 'node2']) t.deepEqual(readFileSync(onNode(name)), value, name);
  t.notDeepEqual(markOn('node1'), before, 'the mark is the new value\'s');
  markOn('node2');
  t.like(await observedToken('inventory after the rotation was applied'), { node1: { content: 'current', storeSinceWrite: 'unchanged' } });
  t.deepEqual((await planJson('re-plan after rotation')).changes, []);
});

test.serial('edited on the node: that node plans a change, and apply puts the secret back', async (t) => {
  const value = values.at(-1)!;
  await ssh(s().hosts, 'node1', `printf 'edited by hand\\n' > ${TOKEN_PATH}`);
  const plan = await planJson('plan after the edit');
  t.deepEqual(ids(plan), ['update node1/secretFile:/etc/bootstrap-token']);
  t.is(plan.changes[0]!.before?.content, 'differs');
  t.is(plan.changes[0]!.reason, 'content differs from secret bootstrap-token, unchanged in the store since underlay wrote it (edited on the node?)');
  const inventory = await underlay('inventory snapshot', ['inventory']);
  t.is(inventory.code, 0, inventory.stderr);
  t.like(JSON.parse(inventory.stdout), { nodes: { node1: { resources: { [`secretFile:${TOKEN_PATH}`]: { exists: true, content: 'differs', storeSinceWrite: 'unchanged', mode: '0440' } } } } });
  // Drift says the content changed, and nothing else of it (its record stays in the state database, searched below).
  const drift = await underlay('drift after the edit', ['drift', '--output', 'json']);
  t.is(drift.code, 2, drift.stderr);
  const record = (JSON.parse(drift.stdout) as DriftReport).drifted[0];
  t.like(record, { id: `node1/secretFile:${TOKEN_PATH}`, before: { secretContent: 'changed' } });
  t.is(record?.before?.contentSha256, undefined);
  t.regex((await underlay('drift as text', ['drift'])).stdout, /secret content changed/);
  const applied = await underlay('apply after the edit', ['apply', '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.deepEqual(readFileSync(onNode('node1')), value);
});

test.serial('a node whose host key does not match its pin gets nothing: apply refuses, naming it', async (t) => {
  const before = readFileSync(onNode('node2'));
  const value = await setSecret();
  const wrongKey = await foreignHostKey();
  await s().commit('node2: pin the wrong key', async (dir) => {
    const file = path.join(dir, 'nodes/node2.yaml');
    const doc = parseDocument(await readFile(file, 'utf8'));
    doc.setIn(['spec', 'ssh', 'hostKey'], wrongKey);
    await writeFile(file, doc.toString({ lineWidth: 0 }));
  });
  const applied = await underlay('apply with node2 mispinned', ['apply', '--no-color']);
  t.not(applied.code, 0);
  const out = applied.stdout + applied.stderr;
  t.truthy(out.split('\n').find((l) => l.includes('node2') && /host key mismatch/.test(l)), out);
  t.deepEqual(readFileSync(onNode('node2')), before, 'node2 still holds the previous value');
  t.deepEqual(readFileSync(onNode('node1')), value, 'node1 got the new one');
  await s().repin('node2: pinned again');
  const again = await underlay('apply after re-pinning node2', ['apply', '--no-color']);
  t.is(again.code, 0, again.stdout + again.stderr);
  t.deepEqual(readFileSync(onNode('node2')), value, 'pinned again, node2 gets it');
});

/** Byte sequences nothing outside the secret store and the nodes may hold. */
function forbidden(): { what: string; bytes: Buffer }[] {
  return values.flatMap((v, i) => {
    const sha = createHash('sha256').update(v).digest('hex');
    return [
      { what: `value ${i}`, bytes: v },
      { what: `value ${i} without its line break`, bytes: v.subarray(0, v.length - 1) },
      { what: `sha256 of value ${i}`, bytes: Buffer.from(sha) },
      { what: `sha256 of value ${i} without its line break`, bytes: Buffer.from(createHash('sha256').update(v.subarray(0, v.length - 1)).digest('hex')) },
      { what: `base64 of value ${i}`, bytes: Buffer.from(v.toString('base64').replace(/=+$/, '')) },
    ];
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

test.serial('no output, plan, snapshot, journal or state file holds a value of the secret or its sha256', async (t) => {
  const status = await underlay('status', ['status']);
  t.is(status.code, 0, status.stderr);
  // The journal as rows, every table of the state database dumped as text.
  const db = new Database(stateDatabaseFile(s().stateDir), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    t.true(tables.some((x) => x.name === 'journal'), tables.map((x) => x.name).join(', '));
    for (const { name } of tables) outputs.push({ what: `table ${name}`, text: JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all()) });
    t.true((db.prepare("SELECT count(*) AS n FROM journal WHERE key LIKE 'secretFile:%'").get() as { n: number }).n >= 6, 'the deliveries were journalled');
  } finally {
    db.close();
  }
  const haystacks = [
    ...outputs.map((o) => ({ what: o.what, bytes: Buffer.from(o.text) })),
    // The state directory byte for byte (the database, its WAL, saved plans): everything but the secret store.
    ...filesUnder(s().stateDir).filter((f) => !f.startsWith(s().secretsDir)).map((f) => ({ what: f, bytes: readFileSync(f) })),
  ];
  t.true(values.length >= 3);
  // The search finds what is there: the store's copy of the last value.
  const last = values.length - 1;
  const inStore = readFileSync(path.join(s().secretsDir, 'bootstrap-token'));
  t.deepEqual(forbidden().filter((f) => inStore.includes(f.bytes)).map((f) => f.what), [`value ${last}`, `value ${last} without its line break`]);
  const found = haystacks.flatMap((h) => forbidden().filter((f) => h.bytes.includes(f.bytes)).map((f) => `${f.what} in ${h.what}`));
  t.deepEqual(found, []);
  // The marks are keyed digests of values the nodes hold: no value in one, and none of them off the nodes.
  markOn('node1');
  markOn('node2');
  t.deepEqual(marks.flatMap((m, i) => forbidden().filter((f) => m.includes(f.bytes)).map((f) => `${f.what} in mark ${i}`)), []);
  const digests = [...new Set(marks.map((m) => m.toString().trim()))];
  t.true(digests.length >= 6, 'two nodes, three values');
  t.deepEqual(haystacks.flatMap((h) => digests.filter((d) => h.bytes.includes(d)).map((d) => `mark ${d.slice(0, 12)} in ${h.what}`)), []);
});
