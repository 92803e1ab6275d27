/**
 * The secretFile kind through every pure stage (load with the secret's policy, resolve, diff, details, the
 * probe run by the local sh against real files with keys from a fake store) and its apply run here: the
 * trust gate refuses before the secret is read, the content travels on stdin only, a short copy is never
 * installed. Nothing the controller sends or keeps holds the value or its plain sha256.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec } from '../../controller/load/load-spec.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import { InventoryNodeSchema } from '../../controller/inventory/inventory.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { renderJson } from '../../controller/plan/render-json.js';
import { renderMarkdown } from '../../controller/plan/render-markdown.js';
import { renderText } from '../../controller/plan/render-text.js';
import { secretProbeKeys, type SecretSource } from '../../controller/secrets/secret-source.js';
import { SecretError } from '../../controller/secrets/secret-store.js';
import { fingerprint, parseHostKey } from '../../controller/transport/host-key.js';
import type { ExecOptions, NodeEndpoint, Transport } from '../../controller/transport/transport.js';
import { desired, inventory, node as desiredNode, resource } from '../../test/support/build-desired.js';
import { change } from '../../test/support/fake-apply.js';
import { localTransport, runLocally } from '../../test/support/local-transport.js';
import { cluster, HOST_KEY, module, node, revisionOf, validSite } from '../../test/support/site-files.js';
import { buildProbe } from '../probe/build-probe.js';
import { parseProbeOutput } from '../probe/parse-probe-output.js';
import { registry } from '../registry.js';
import { applySecretFile } from './apply.js';
import { diffSecretFile } from './diff.js';
import { secretFileKind } from './kind.js';
import type { DesiredSecretFile, ObservedSecretFile } from './schema.js';

const VALUE = Buffer.from('bootstrap-token-3f9c2a7e\n');
const SHA = createHash('sha256').update(VALUE).digest('hex');

const site = (resources: string, policy = '  secrets:\n    - name: join-token\n      nodes: {roles: [worker]}\n') => ({
  ...validSite(),
  'site.yaml': `apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata:\n  name: lab\nspec:\n${policy}`,
  'nodes/n2.yaml': node('n2').replace('roles: [worker]', 'roles: [control-plane]'),
  'modules/tokens.yaml': module('tokens', `  resources:\n${resources}`),
  'clusters/tokens.yaml': cluster('tokens', '  steps:\n    - name: tokens\n      module: tokens\n      nodes: {roles: [worker]}\n'),
});
const problems = (files: ReturnType<typeof site>) => loadSpec(revisionOf(files)).diagnostics.map((d) => [d.code, d.location?.file, d.location?.line, d.field]);

test('a module declares secret files; they render per node, 0600 root:root by default, naming the secret only', (t) => {
  const loaded = loadSpec(revisionOf(site('    - secretFile: {path: "/etc/join/{{ node.name }}.token", secret: join-token}\n')));
  t.deepEqual(loaded.diagnostics, []);
  const resolved = resolveSite(loaded.spec!, {}, {});
  t.deepEqual(resolved.diagnostics, []);
  const spec = resolved.desired!.nodes.find((n) => n.name === 'n1')!.resources.find((r) => r.key === 'secretFile:/etc/join/n1.token')?.spec;
  t.deepEqual(spec, { kind: 'secretFile', path: '/etc/join/n1.token', secret: 'join-token', mode: '0600', owner: 'root', group: 'root' });
  t.deepEqual(resolved.desired!.nodes.find((n) => n.name === 'n2')!.resources.filter((r) => r.spec.kind === 'secretFile'), [], 'the step does not run on n2');
});

test('load holds each delivery to the secret\'s policy, at the resource\'s secret field', (t) => {
  const everyNode = site('    - secretFile: {path: /etc/join.token, secret: join-token}\n').valueOf() as Record<string, string>;
  everyNode['clusters/tokens.yaml'] = cluster('tokens', '  steps:\n    - name: tokens\n      module: tokens\n');
  t.deepEqual(problems(everyNode as ReturnType<typeof site>), [['SecretNodeNotAllowed', 'modules/tokens.yaml', 7, 'spec.resources[0].secretFile.secret']]);
  t.regex(loadSpec(revisionOf(everyNode)).diagnostics[0]!.message, /may not go to node n2: cluster "tokens" step "tokens"/);
  t.deepEqual(problems(site('    - secretFile: {path: /etc/other.token, secret: other-token}\n')), [['SecretNotInPolicy', 'modules/tokens.yaml', 7, 'spec.resources[0].secretFile.secret']]);
});

test('a secret policy may not name the controller\'s own keys, nor one secret twice', (t) => {
  const ca = 'apiVersion: underlay.dev/v1alpha1\nkind: CertificateAuthority\nmetadata:\n  name: site\nspec:\n  certificate: x\n  keySecret: site-ca-key\n';
  const files = { ...site('    []\n', '  secrets:\n    - {name: site-ca-key, nodes: {}}\n    - {name: ssh-client-key, nodes: {}}\n    - {name: join-token, nodes: {}}\n    - {name: join-token, nodes: {}}\n'), 'ca/site.yaml': ca };
  t.deepEqual(problems(files), [
    ['SecretNotDeliverable', 'site.yaml', 7, 'spec.secrets[0].name'],
    ['SecretNotDeliverable', 'site.yaml', 8, 'spec.secrets[1].name'],
    ['DuplicateName', 'site.yaml', 10, 'spec.secrets[3].name'],
  ]);
});

test('a Site that did not load holds no delivery to policies it may have had', (t) => {
  const files = site('    - secretFile: {path: /etc/join.token, secret: join-token}\n', '  secrets:\n    - name: join-token\n      nodes: {roles: [worker]}\n  bogus: 1\n');
  t.deepEqual(problems(files), [['SchemaViolation', 'site.yaml', 9, 'spec.bogus']]);
});

test('the secret is a plain name, never a template or a path', (t) => {
  t.deepEqual(problems(site('    - secretFile: {path: /etc/a, secret: "{{ node.name }}"}\n    - secretFile: {path: /etc/b, secret: ../ssh-client-key}\n')), [
    ['SchemaViolation', 'modules/tokens.yaml', 7, 'spec.resources[0].secretFile.secret'],
    ['SchemaViolation', 'modules/tokens.yaml', 8, 'spec.resources[1].secretFile.secret'],
  ]);
});

const want: DesiredSecretFile = { kind: 'secretFile', path: '/etc/join.token', secret: 'join-token', mode: '0440', owner: 'root', group: 'etcd' };
const seen: ObservedSecretFile = { kind: 'secretFile', path: '/etc/join.token', exists: true, mode: '0440', owner: 'root', group: 'etcd', content: 'current' };
const base = { serviceManager: 'runit' as const, desiredHash: () => 'h' };
const after = { group: 'etcd', mode: '0440', owner: 'root', path: '/etc/join.token', secret: 'join-token' };

test('diff: created when missing, nothing when current, changed when its keyed digest differs, never showing how', (t) => {
  t.like(diffSecretFile({ ...base, desired: want, observed: { kind: 'secretFile', path: want.path, exists: false }, managedHash: 'h' }), { action: 'create', reason: 'does not exist', before: null, after });
  t.is(diffSecretFile({ ...base, desired: want, observed: seen, managedHash: 'h' }), null);
  t.deepEqual(diffSecretFile({ ...base, desired: want, observed: { ...seen, content: 'differs', mode: '0644' }, managedHash: 'h' }), {
    action: 'update',
    reason: 'content differs from secret join-token in the store (keyed digest), mode 0644 -> 0440',
    before: { content: 'differs', group: 'etcd', mode: '0644', owner: 'root', path: want.path },
    after,
    drift: false,
  });
  t.like(diffSecretFile({ ...base, desired: want, observed: { ...seen, content: 'unknown' }, managedHash: 'h' }), {
    action: 'update',
    reason: 'content not compared with secret join-token (observed without its keyed digest): written again',
  });
});

test('diff: what underlay did not write is taken over; a managed one no longer in Git is pruned, an unmanaged one never', (t) => {
  t.like(diffSecretFile({ ...base, desired: want, observed: seen, managedHash: undefined }), { action: 'update', reason: 'exists, not managed by underlay: will be replaced' });
  t.like(diffSecretFile({ ...base, desired: want, observed: { kind: 'secretFile', path: want.path, exists: true }, managedHash: 'h' }), { action: 'update', reason: 'not a regular file; exists, not managed by underlay: will be replaced' });
  t.like(diffSecretFile({ ...base, desired: null, observed: seen, managedHash: 'h', desiredHash: undefined }), { action: 'delete', after: null });
  t.is(diffSecretFile({ ...base, desired: null, observed: seen, managedHash: undefined, desiredHash: undefined }), null);
});

test('details say which secret and whether the content changes: changed, unchanged, not compared', (t) => {
  const line = (c: Parameters<typeof secretFileKind.details>[0]) => secretFileKind.details(c).attributes;
  t.deepEqual(line(change('n1/secretFile:/etc/join.token', { after })), ['secret join-token, mode 0440, owner root:etcd, content: changed']);
  t.deepEqual(line(change('n1/secretFile:/etc/join.token', { action: 'update', before: { ...after, content: 'current', mode: '0644' }, after })), ['secret join-token, mode 0440, owner root:etcd, content: unchanged']);
  t.deepEqual(line(change('n1/secretFile:/etc/join.token', { action: 'update', before: { ...after, content: 'unknown' }, after })), ['secret join-token, mode 0440, owner root:etcd, content: not compared']);
  t.deepEqual(line(change('n1/secretFile:/etc/join.token', { action: 'delete', before: { ...after, content: 'current' }, after: null })), ['mode 0440, owner root:etcd, content: removed']);
});

/** A secret store in memory, recording what was read. */
function fakeSource(secrets: Record<string, Buffer>, reads: string[] = []): SecretSource {
  const digestKey = Buffer.alloc(32, 7);
  return {
    site: 'lab',
    read: (name) => {
      reads.push(name);
      const v = secrets[name];
      return v ? Promise.resolve(v) : Promise.reject(new SecretError('SecretNotFound', name, `no secret ${name}`));
    },
    digestKey: () => Promise.resolve(digestKey),
  };
}

test('the probe compares keyed digests on the node: current, differs, unknown, other; no value or sha256 sent or kept', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "underlay secret $(touch pwned) 'q' "));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const at = (name: string) => join(dir, name);
  await writeFile(at('current'), VALUE, { mode: 0o640 });
  await writeFile(at('edited'), 'edited by hand\n');
  await writeFile(at('other-secret'), VALUE);
  await symlink(at('current'), at('link'));
  const specs = ['current', 'edited', 'missing', 'link'].map((name) => ({ ...want, path: at(name), group: 'root' }));
  specs.push({ ...want, path: at('other-secret'), secret: 'not-in-store' });
  const n = desiredNode('n1', specs.map((s) => resource(s)));
  const uses = n.resources.flatMap((r) => secretFileKind.probe.secrets!(r.spec as DesiredSecretFile));
  const keys = await secretProbeKeys(fakeSource({ 'join-token': VALUE }), 'n1', uses);
  const probe = buildProbe(registry, n, [], keys);
  const output = await runLocally(probe.argv, probe.stdin);
  const parsed = parseProbeOutput(registry, probe, output);
  const content = (name: string) => (parsed.resources[`secretFile:${at(name)}`] as ObservedSecretFile | undefined)?.content;
  t.is(content('current'), 'current');
  t.like(parsed.resources[`secretFile:${at('current')}`], { exists: true, mode: '0640', owner: 'root', group: 'root' });
  t.is(content('edited'), 'differs');
  t.is(content('other-secret'), 'unknown', 'a secret the store lacks is compared with nothing');
  t.deepEqual(parsed.resources[`secretFile:${at('missing')}`], { kind: 'secretFile', path: at('missing'), exists: false });
  t.deepEqual(parsed.resources[`secretFile:${at('link')}`], { kind: 'secretFile', path: at('link'), exists: true });
  t.true(InventoryNodeSchema.safeParse({ reachable: true, facts: parsed.facts, managed: parsed.managed, resources: parsed.resources }).success);
  for (const text of [probe.stdin, probe.argv.join(' '), output, JSON.stringify(parsed)]) {
    t.false(text.includes(VALUE.toString().trim()), 'no value');
    t.false(text.includes(SHA), 'no plain sha256 of it');
  }
  const unkeyed = buildProbe(registry, n);
  const plain = parseProbeOutput(registry, unkeyed, await runLocally(unkeyed.argv, unkeyed.stdin));
  t.is((plain.resources[`secretFile:${at('current')}`] as ObservedSecretFile).content, 'unknown', 'observed without the store: not compared');
});

test('plans show the delivery and whether it changes, in text, Markdown and JSON, with nothing of the content', (t) => {
  const d = desired([desiredNode('n1', [resource(want)])]);
  const plan = makePlan(d, inventory({ n1: { reachable: true, facts: {}, managed: { 'secretFile:/etc/join.token': { hash: 'old' } }, resources: { 'secretFile:/etc/join.token': { ...seen, content: 'differs' } } } }), { registry });
  t.deepEqual(plan.changes.map((c) => c.action), ['update']);
  t.true(renderText(plan, { registry, color: false }).includes('secret join-token, mode 0440, owner root:etcd, content: changed'));
  t.true(renderMarkdown(plan, { registry }).includes('content: changed'));
  t.deepEqual(JSON.parse(renderJson(plan)).changes[0].after, after);
});

const HOST = { name: 'n1', address: '127.0.0.1', port: 22, user: 'root', hostKey: HOST_KEY };
const PINNED = fingerprint(parseHostKey(HOST_KEY).blob);

/** The local transport, recording every exec, and attesting the host key `presented` when given. */
function recording(presented?: string): Transport & { execs: { argv: readonly string[]; stdin: string }[] } {
  const execs: { argv: readonly string[]; stdin: string }[] = [];
  return {
    execs,
    exec: (node: NodeEndpoint, argv: readonly string[], options?: ExecOptions) => {
      execs.push({ argv, stdin: Buffer.from(options?.stdin ?? '').toString('latin1') });
      return localTransport.exec(node, argv, options);
    },
    ...(presented === undefined ? {} : { verifiedHostKey: () => Promise.resolve(presented) }),
    close: () => Promise.resolve(),
  };
}

async function scratch(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'underlay-secret-apply-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The marks apply leaves (secret-mark.ts) go to a scratch directory of their own, not this machine's state. */
const marksIn = async (t: import('ava').ExecutionContext) => ({ marksDir: join(await scratch(t), 'secret-marks') });

const deliver = (path: string) => change(`n1/secretFile:${path}`, { after: { group: 'root', mode: '0440', owner: 'root', path, secret: 'join-token' } });

test('apply writes the secret from the store over stdin only, with its mode, atomically', async (t) => {
  const dir = await scratch(t);
  const transport = recording(PINNED);
  const reads: string[] = [];
  t.deepEqual(await applySecretFile({ transport, node: HOST, serviceManager: 'runit', secrets: fakeSource({ 'join-token': VALUE }, reads) }, deliver(join(dir, 'token')), await marksIn(t)), { result: 'applied' });
  t.deepEqual(await readFile(join(dir, 'token')), VALUE);
  t.is((await stat(join(dir, 'token'))).mode & 0o777, 0o440);
  t.deepEqual(await readdir(dir), ['token'], 'no temporary copy left');
  t.deepEqual(reads, ['join-token'], 'read at apply time');
  const argv = transport.execs.map((e) => e.argv.join(' ')).join('\n');
  t.false(argv.includes(VALUE.toString().trim()) || argv.includes(SHA), 'neither the value nor its sha256 on argv');
  t.true(transport.execs.some((e) => e.stdin.includes(VALUE.toString())), 'the value went on stdin');
});

test('the trust gate refuses before the secret is read: no pin, a transport that cannot tell, another key', async (t) => {
  const dir = await scratch(t);
  const path = join(dir, 'token');
  const refusals: [string, Transport, NodeEndpoint][] = [
    ['SecretNodeUnpinned', recording(PINNED), { ...HOST, hostKey: '' }],
    ['SecretNodeUnpinned', recording(PINNED), { ...HOST, hostKey: 'ssh-ed25519 AAAA' }],
    ['SecretNodeUnverified', recording(), HOST],
    ['SecretNodeUnverified', recording('SHA256:someoneelse'), HOST],
  ];
  for (const [code, transport, node] of refusals) {
    const reads: string[] = [];
    const error = await t.throwsAsync(applySecretFile({ transport, node, serviceManager: 'runit', secrets: fakeSource({ 'join-token': VALUE }, reads) }, deliver(path), await marksIn(t)));
    t.like(error, { code, data: { node: 'n1', secret: 'join-token' } });
    t.regex(error?.message ?? '', /^node n1: secret join-token not delivered: /);
    t.deepEqual(reads, [], `${code}: the secret was not read`);
  }
  await t.throwsAsync(stat(path), { code: 'ENOENT' });
});

test('a copy cut short on its way is never installed, and the error holds nothing of the secret', async (t) => {
  const dir = await scratch(t);
  const path = join(dir, 'token');
  await writeFile(path, 'previous\n');
  await chmod(path, 0o600);
  const cut: Transport = {
    exec: (node, argv, options) => localTransport.exec(node, argv, { ...options, stdin: Buffer.from(options?.stdin ?? '').subarray(0, -4) }),
    verifiedHostKey: () => Promise.resolve(PINNED),
    close: () => Promise.resolve(),
  };
  const error = await t.throwsAsync(applySecretFile({ transport: cut, node: HOST, serviceManager: 'runit', secrets: fakeSource({ 'join-token': VALUE }) }, deliver(path), await marksIn(t)));
  t.regex(error?.message ?? '', /secret content for .* arrived incomplete or altered: not installed/);
  t.false(JSON.stringify({ message: error?.message, data: (error as { data?: unknown }).data }).includes(SHA));
  t.false((error?.message ?? '').includes(VALUE.toString().trim()));
  t.is(await readFile(path, 'utf8'), 'previous\n');
  t.deepEqual(await readdir(dir), ['token']);
});
