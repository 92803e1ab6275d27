/**
 * The symlink kind through every pure stage: load (schema, paths, references to it), resolve (render,
 * ordering), the probe (run by the local sh against real links), the diff and the plan's details.
 */
import test from 'ava';
import { mkdir, mkdtemp, rm, symlink as makeLink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec } from '../../controller/load/load-spec.js';
import { resolveSite } from '../../controller/resolve/resolve-site.js';
import { InventoryNodeSchema } from '../../controller/inventory/inventory.js';
import { cluster, module, revisionOf, validSite } from '../../test/support/site-files.js';
import { change } from '../../test/support/fake-apply.js';
import { node as desiredNode, resource, symlink } from '../../test/support/build-desired.js';
import { buildProbe } from '../probe/build-probe.js';
import { parseProbeOutput } from '../probe/parse-probe-output.js';
import { registry } from '../registry.js';
import { diffSymlink } from './diff.js';
import { symlinkKind } from './kind.js';
import { runLocally } from '../../test/support/local-transport.js';

const site = (resources: string) => ({
  ...validSite(),
  'modules/links.yaml': module('links', `  resources:\n${resources}`),
  'clusters/links.yaml': cluster('links', '  steps:\n    - name: links\n      module: links\n'),
});

test('a module declares links; they render per node, wait for their directory and restart what names them', (t) => {
  const loaded = loadSpec(
    revisionOf(
      site(`    - directory: {path: /opt/app}
    - symlink: {path: "/opt/app/{{ node.name }}-current", target: ../releases/v2, owner: nobody}
    - service: {name: app, command: /opt/app/bin/run, restartOnChangeOf: ["symlink:/opt/app/{{ node.name }}-current"]}
`),
    ),
  );
  t.deepEqual(loaded.diagnostics, []);
  const resolved = resolveSite(loaded.spec!, {}, {});
  t.deepEqual(resolved.diagnostics, []);
  const resources = resolved.desired!.nodes.find((n) => n.name === 'n1')!.resources;
  const link = resources.find((r) => r.key === 'symlink:/opt/app/n1-current');
  t.deepEqual(link?.spec, { kind: 'symlink', path: '/opt/app/n1-current', target: '../releases/v2', owner: 'nobody', group: 'root' });
  t.deepEqual(link?.dependsOn, ['n1/directory:/opt/app']);
  t.true(resources.find((r) => r.key === 'service:app')?.dependsOn.includes('n1/symlink:/opt/app/n1-current'));
});

const loadProblems = (resources: string) => loadSpec(revisionOf(site(resources))).diagnostics.map((d) => [d.code, d.field]);

test('load holds a link\'s target to one plain line', (t) => {
  t.deepEqual(loadProblems(`    - symlink: {path: /etc/y, target: "a\\nb"}\n    - symlink: {path: /etc/z, target: ""}\n`), [
    ['SchemaViolation', 'spec.resources[0].symlink.target'],
    ['SchemaViolation', 'spec.resources[1].symlink.target'],
  ]);
});

test('load holds a link to the allowed roots, one link per path, and references to links that exist', (t) => {
  const problems = loadProblems(`    - symlink: {path: /root/x, target: /etc/x}
    - symlink: {path: /etc/w, target: /etc/x}
    - symlink: {path: /etc/w, target: /etc/v}
    - service: {name: s, command: /usr/bin/s, restartOnChangeOf: ["symlink:/etc/nowhere"]}
`);
  t.deepEqual(problems, [
    // The clash as the cluster's step meets it on each node, and in the module.
    ['DuplicateResource', 'spec.steps[0].module'],
    ['PathOutsideAllowedRoots', 'spec.resources[0].symlink.path'],
    ['DuplicateResource', 'spec.resources[2].symlink.path'],
    ['DanglingReference', 'spec.resources[3].service.restartOnChangeOf[0]'],
  ]);
});

const want = symlink('/etc/app/current', '/opt/app/v2');
const seen = { kind: 'symlink' as const, path: '/etc/app/current', exists: true, target: '/opt/app/v2', owner: 'root', group: 'root' };
const base = { serviceManager: 'runit' as const, desiredHash: () => 'h' };

test('diff: created when missing, nothing when it matches, an update naming what differs', (t) => {
  t.like(diffSymlink({ ...base, desired: want, observed: undefined, managedHash: undefined }), { action: 'create', before: null });
  t.is(diffSymlink({ ...base, desired: want, observed: seen, managedHash: 'h' }), null);
  t.like(diffSymlink({ ...base, desired: want, observed: { ...seen, target: '/opt/app/v1', group: 'wheel' }, managedHash: 'h' }), {
    action: 'update',
    reason: 'target /opt/app/v1 -> /opt/app/v2, group wheel -> root',
    before: { group: 'wheel', owner: 'root', path: '/etc/app/current', target: '/opt/app/v1' },
    after: { group: 'root', owner: 'root', path: '/etc/app/current', target: '/opt/app/v2' },
  });
});

test('diff: what underlay did not make is taken over as a file is; a managed link that became a file is replaced', (t) => {
  t.like(diffSymlink({ ...base, desired: want, observed: seen, managedHash: undefined }), { action: 'update', reason: 'exists, not managed by underlay: will be replaced' });
  const file = { kind: 'symlink' as const, path: want.path, exists: true };
  t.like(diffSymlink({ ...base, desired: want, observed: file, managedHash: undefined }), {
    action: 'update',
    reason: 'not a symbolic link; exists, not managed by underlay: will be replaced',
    before: { path: want.path },
  });
  t.like(diffSymlink({ ...base, desired: want, observed: file, managedHash: 'h' }), { action: 'update', reason: 'no longer a symbolic link: will be replaced' });
});

test('diff: pruned only when managed', (t) => {
  t.like(diffSymlink({ ...base, desired: null, observed: seen, managedHash: 'h' }), { action: 'delete', reason: 'no longer in Git, managed by underlay' });
  t.is(diffSymlink({ ...base, desired: null, observed: seen, managedHash: undefined }), null);
});

test('details show the target and owner, and a retarget as before -> after', (t) => {
  const created = change('n1/symlink:/etc/app/current', { action: 'create', after: { group: 'root', owner: 'root', path: '/etc/app/current', target: '/opt/app/v2' } });
  t.deepEqual(symlinkKind.details(created), { attributes: ['-> /opt/app/v2, owner root:root'], content: [] });
  const retarget = { ...created, action: 'update' as const, before: { ...created.after, target: '/opt/app/v1' } };
  t.deepEqual(symlinkKind.details(retarget).attributes, ['target /opt/app/v1 -> /opt/app/v2', '-> /opt/app/v2, owner root:root']);
});


test('the probe reads links without following them: target as written, owner, and anything else as not a link', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "underlay symlink $(touch pwned) 'q' "));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const hostileTarget = `../a;b $(id) \`x\` "q" 'r' \\ t`;
  await makeLink(hostileTarget, join(dir, 'dangling'));
  await makeLink(dir, join(dir, 'to-dir'));
  await writeFile(join(dir, 'plain'), 'x');
  await mkdir(join(dir, 'sub'));
  const paths = ['dangling', 'to-dir', 'plain', 'sub', 'missing'].map((p) => join(dir, p));
  const probe = buildProbe(registry, desiredNode('n1', paths.map((p) => resource(symlink(p, '/x')))));
  const parsed = parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin));
  const at = (p: string) => parsed.resources[`symlink:${join(dir, p)}`];
  t.deepEqual(at('dangling'), { kind: 'symlink', path: join(dir, 'dangling'), exists: true, target: hostileTarget, owner: 'root', group: 'root' });
  t.like(at('to-dir'), { exists: true, target: dir });
  t.deepEqual(at('plain'), { kind: 'symlink', path: join(dir, 'plain'), exists: true });
  t.deepEqual(at('sub'), { kind: 'symlink', path: join(dir, 'sub'), exists: true });
  t.deepEqual(at('missing'), { kind: 'symlink', path: join(dir, 'missing'), exists: false });
  t.true(InventoryNodeSchema.safeParse({ reachable: true, facts: parsed.facts, managed: parsed.managed, resources: parsed.resources }).success);
});
