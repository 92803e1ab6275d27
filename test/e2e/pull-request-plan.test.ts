/**
 * A pull request planned the way CI does it, on real test hosts: the example site applied to three runit
 * nodes, a snapshot taken by `underlay inventory` (real observation over SSH), then `underlay plan --base
 * --head --inventory` on a branch, with no access to the nodes. The snapshot holds hashes, not file contents;
 * the comment still shows the text diff base to head, because the real nodes hold exactly the base's bytes.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git, runCli, useE2ESite } from './support/e2e-site.js';

const s = useE2ESite({ count: 3 });

test.serial('a pull request against a snapshot of real nodes: identical changes on one row, the text diff from what the nodes hold', async (t) => {
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  const base = await git(s().repoDir, 'rev-parse', 'HEAD');
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-pr-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const snapshot = path.join(dir, 'inventory.json');
  const inventory = await s().underlay(['inventory', '--out', snapshot]);
  t.is(inventory.code, 0, inventory.stderr);

  const observed = JSON.parse(await readFile(snapshot, 'utf8')) as { nodes: Record<string, { resources: Record<string, Record<string, unknown>> }> };
  const motd = observed.nodes.node1!.resources['file:/etc/motd']!;
  t.regex(String(motd.sha256), /^[0-9a-f]{64}$/, 'the snapshot has the hash of each file');
  const files = Object.values(observed.nodes).flatMap((n) => Object.values(n.resources).filter((r) => r.kind === 'file'));
  t.true(files.length >= 6);
  t.true(files.every((f) => !('content' in f)), 'and no file content');

  await git(s().repoDir, 'checkout', '-q', '-b', 'pr');
  const site = path.join(s().repoDir, 'site.yaml');
  await writeFile(site, (await readFile(site, 'utf8')).replace('Managed by underlay. Local changes are reported as drift.', 'Managed by underlay; ask #infra before editing.'));
  const module = path.join(s().repoDir, 'modules/base.yaml');
  await writeFile(module, (await readFile(module, 'utf8')).replace('    - directory:\n        path: /var/lib/underlay-base\n', '    - directory:\n        path: /var/lib/underlay-base\n    - file: {path: /var/lib/underlay-base/notice, content: "authorised use only\\n"}\n'));
  await s().commit('motd and a notice');

  const plan = await runCli(['plan', '--repo', s().repoDir, '--base', base, '--head', 'pr', '--inventory', snapshot, '--output', 'markdown']);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /\*\*This pull request: 6 new, 0 changed, 0 gone, on 3 target\(s\)\.\*\*/);
  t.regex(plan.stdout, /^\| new \| node1…node3 \(3\) \| \+ create \| `file:\/var\/lib\/underlay-base\/notice` \| .*, same change \|$/m);
  t.regex(plan.stdout, /^\| new \| node1 \| ~ update \| `file:\/etc\/motd` \|/m);
  t.regex(plan.stdout, /^-Managed by underlay\. Local changes are reported as drift\.\n\+Managed by underlay; ask #infra before editing\.$/m, 'the diff of the text, from the hash the node really holds');
});
