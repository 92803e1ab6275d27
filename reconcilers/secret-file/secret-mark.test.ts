/**
 * The mark a secret file's write leaves on its node (secret-mark.ts) and what it tells the plan: a secret
 * rotated in the store is delivered (never drift), a copy edited on the node is left to the planner's drift
 * rule. Parse and diff alone, then apply and the probe run here under dash and bash against temporary
 * directories, the marks directory among them: the mark holds no value, and no observation holds the mark.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliveryKey, keyedDigest } from '../../controller/secrets/keyed-digest.js';
import { secretProbeKeys, type SecretSource } from '../../controller/secrets/secret-source.js';
import { fingerprint, parseHostKey } from '../../controller/transport/host-key.js';
import type { Transport } from '../../controller/transport/transport.js';
import { node as desiredNode, resource } from '../../test/support/build-desired.js';
import { change } from '../../test/support/fake-apply.js';
import { localTransport, runLocally } from '../../test/support/local-transport.js';
import { HOST_KEY } from '../../test/support/site-files.js';
import type { ProbeRequest } from '../kind.js';
import { buildProbe } from '../probe/build-probe.js';
import { parseProbeOutput } from '../probe/parse-probe-output.js';
import { registry } from '../registry.js';
import { applySecretFile } from './apply.js';
import { diffSecretFile } from './diff.js';
import { secretFileProbe } from './probe.js';
import type { DesiredSecretFile, ObservedSecretFile } from './schema.js';
import { markName, SECRET_MARKS_DIR } from './secret-mark.js';

const digest = (c: string) => c.repeat(64);
const STORE = digest('a');
const HEX64 = /[0-9a-f]{64}/;

const request = (expect?: string): ProbeRequest => ({
  key: 'secretFile:/etc/join.token',
  kind: 'secretFile',
  tag: 'secretFile',
  args: ['/etc/join.token'],
  ...(expect === undefined ? {} : { expect }),
});
const parse = (answer: string[], expect: string | undefined) => secretFileProbe.parse(request(expect), answer, undefined);

test('parse: the mark against the store\'s digest gives the verdict, and the observation holds neither', (t) => {
  const stat = '440:root:etcd:25';
  const cases: [string[], string | undefined, Partial<ObservedSecretFile>][] = [
    [['1', STORE, stat, STORE], STORE, { content: 'current', storeSinceWrite: 'unchanged' }],
    [['1', digest('b'), stat, STORE], STORE, { content: 'differs', storeSinceWrite: 'unchanged' }],
    [['1', digest('b'), stat, digest('b')], STORE, { content: 'differs', storeSinceWrite: 'changed' }],
    [['1', STORE, stat, digest('c')], STORE, { content: 'current', storeSinceWrite: 'changed' }],
  ];
  for (const [answer, expect, verdicts] of cases) {
    const seen = parse(answer, expect);
    t.deepEqual(seen, { kind: 'secretFile', path: '/etc/join.token', exists: true, mode: '0440', owner: 'root', group: 'etcd', ...verdicts }, answer.join(' '));
    t.false(HEX64.test(JSON.stringify(seen)), 'no digest, the mark\'s or another');
  }
  // No verdict without a mark (an older underlay's write), with one no write leaves, or with nothing to compare it to.
  for (const [answer, expect] of [
    [['1', digest('b'), stat, '-'], STORE],
    [['1', digest('b'), stat], STORE],
    [['1', digest('b'), stat, 'not a digest'], STORE],
    [['1', digest('b'), stat, digest('A')], STORE],
    [['1', '-', stat, STORE], undefined],
  ] as [string[], string | undefined][]) {
    t.false('storeSinceWrite' in parse(answer, expect), answer.join(' '));
  }
});

const want: DesiredSecretFile = { kind: 'secretFile', path: '/etc/join.token', secret: 'join-token', mode: '0440', owner: 'root', group: 'etcd' };
/** As the probe saw it: no verdict on the store without a mark. */
const seen: ObservedSecretFile = { kind: 'secretFile', path: want.path, exists: true, mode: '0440', owner: 'root', group: 'etcd', content: 'current' };
const diff = (observed: Partial<ObservedSecretFile>) => diffSecretFile({ desired: want, observed: { ...seen, ...observed }, managedHash: 'h', desiredHash: () => 'h', serviceManager: 'runit' });

test('diff: a secret rotated in the store is no drift; an edit under an unchanged store is left to the planner', (t) => {
  t.like(diff({ content: 'differs', storeSinceWrite: 'changed' }), { action: 'update', reason: 'secret join-token rotated in the store since underlay wrote it (keyed digest)', drift: false });
  const edited = diff({ content: 'differs', storeSinceWrite: 'unchanged' });
  t.like(edited, { action: 'update', reason: 'content differs from secret join-token, unchanged in the store since underlay wrote it (edited on the node?)' });
  t.false(edited !== null && 'drift' in edited, 'the planner calls it drift by the managed record');
});

test('diff: what cannot be told apart is delivered as before; attributes alone are left to the planner', (t) => {
  t.like(diff({ content: 'differs' }), { reason: 'content differs from secret join-token in the store (keyed digest)', drift: false });
  t.like(diff({ content: 'unknown' }), { drift: false });
  for (const observed of [
    { mode: '0644', storeSinceWrite: 'unchanged' as const },
    { mode: '0644', storeSinceWrite: 'changed' as const },
    { mode: '0644', content: 'differs' as const, storeSinceWrite: 'unchanged' as const },
  ]) {
    const result = diff(observed);
    t.regex(result?.reason ?? '', /mode 0644 -> 0440$/);
    t.false(result !== null && 'drift' in result, JSON.stringify(observed));
  }
  t.like(diff({ content: 'differs', storeSinceWrite: 'changed', owner: 'nobody' }), { reason: 'secret join-token rotated in the store since underlay wrote it (keyed digest), owner nobody -> root', drift: false });
  t.is(diff({ storeSinceWrite: 'changed' }), null, 'the store\'s value is there already');
});

const HOST = { name: 'n1', address: '127.0.0.1', port: 22, user: 'root', hostKey: HOST_KEY };
const PINNED = fingerprint(parseHostKey(HOST_KEY).blob);
const DIGEST_KEY = Buffer.alloc(32, 7);

const store = (value: Buffer): SecretSource => ({ site: 'lab', read: () => Promise.resolve(value), digestKey: () => Promise.resolve(DIGEST_KEY) });

/** This machine as the node, every script run by `shell`, the pinned host key attested. */
const transportIn = (shell: string): Transport => ({
  exec: (node, argv, options) => localTransport.exec(node, [shell, ...argv.slice(1)], options),
  verifiedHostKey: () => Promise.resolve(PINNED),
  close: () => Promise.resolve(),
});

for (const shell of ['dash', 'bash']) {
  test(`${shell}: apply leaves the mark, the probe tells a rotation from an edit, a delete removes both`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "underlay mark $(touch pwned) 'q' "));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'join.token');
    // Spliced into the probe's text in place of SECRET_MARKS_DIR, so a plain name (the file's is the hostile one).
    const state = await mkdtemp(join(tmpdir(), 'underlay-marks-'));
    t.teardown(() => rm(state, { recursive: true, force: true }));
    const marks = join(state, 'secret-marks');
    t.regex(marks, /^[\w/.-]+$/);
    const mark = join(marks, markName(path));
    const spec = { ...want, path, group: 'root' };
    const ctx = (value: Buffer) => ({ transport: transportIn(shell), node: HOST, serviceManager: 'runit' as const, secrets: store(value) });
    const deliver = (value: Buffer) => applySecretFile(ctx(value), change(`n1/secretFile:${path}`, { after: { ...spec } }), { marksDir: marks });
    const n = desiredNode('n1', [resource(spec)]);
    const observe = async (value: Buffer): Promise<ObservedSecretFile> => {
      const probe = buildProbe(registry, n, [], await secretProbeKeys(store(value), 'n1', secretFileProbe.secrets!(spec)));
      const argv = [shell, ...probe.argv.slice(1).map((a) => a.replaceAll(SECRET_MARKS_DIR, marks))];
      const observed = parseProbeOutput(registry, probe, await runLocally(argv, probe.stdin)).resources[`secretFile:${path}`] as ObservedSecretFile;
      t.false(HEX64.test(JSON.stringify(observed)), 'no digest in the observation');
      return observed;
    };
    const planned = async (value: Buffer) => diffSecretFile({ desired: spec, observed: await observe(value), managedHash: 'h', desiredHash: () => 'h', serviceManager: 'runit' });

    const first = Buffer.from('bootstrap-token-3f9c2a7e\n');
    t.deepEqual(await deliver(first), { result: 'applied' });
    const written = await readFile(mark, 'utf8');
    t.is(written, `${keyedDigest(deliveryKey(DIGEST_KEY, { site: 'lab', node: 'n1', path }), first)}\n`, 'the keyed digest of what was written');
    for (const plain of [first.toString(), first.toString().trim(), createHash('sha256').update(first).digest('hex')]) t.false(written.includes(plain));
    t.is((await stat(marks)).mode & 0o777, 0o700);
    t.is((await stat(mark)).mode & 0o777, 0o600);
    t.deepEqual(await readdir(marks), [markName(path)], 'no temporary mark left');
    t.like(await observe(first), { content: 'current', storeSinceWrite: 'unchanged' });
    t.is(await planned(first), null);

    const rotated = Buffer.from('bootstrap-token-77d0e1b4\n');
    t.like(await observe(rotated), { content: 'differs', storeSinceWrite: 'changed' });
    t.like(await planned(rotated), { action: 'update', drift: false, reason: 'secret join-token rotated in the store since underlay wrote it (keyed digest)' });
    await deliver(rotated);
    t.deepEqual(await readFile(path), rotated);
    t.like(await observe(rotated), { content: 'current', storeSinceWrite: 'unchanged' });

    await writeFile(path, 'edited by hand\n');
    t.like(await observe(rotated), { content: 'differs', storeSinceWrite: 'unchanged' });
    const edit = await planned(rotated);
    t.regex(edit?.reason ?? '', /\(edited on the node\?\)$/);
    t.false(edit !== null && 'drift' in edit);

    // A mark lost (or never written, by an older underlay): no verdict, and the difference is delivered.
    await rm(mark);
    t.false('storeSinceWrite' in (await observe(rotated)));
    t.like(await planned(rotated), { drift: false });

    await deliver(rotated);
    t.deepEqual(await applySecretFile(ctx(rotated), change(`n1/secretFile:${path}`, { action: 'delete' }), { marksDir: marks }), { result: 'applied' });
    await t.throwsAsync(stat(path), { code: 'ENOENT' });
    t.deepEqual(await readdir(marks), [], 'the mark went with its file');
  });
}
