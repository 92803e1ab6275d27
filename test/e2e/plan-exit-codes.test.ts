/**
 * `plan` tells a CI job the truth about nodes it could not look at: a node that is down, or that presents
 * another key than the one pinned in Git, makes `plan` exit 1 naming it (with --detailed-exitcode too,
 * where 0 would read as "no drift"), while the plan for the other nodes is still printed. Live and from a
 * saved snapshot alike.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { runCli, useE2ESite, type CliResult } from './support/e2e-site.js';
import { foreignHostKey } from './support/foreign-host-key.js';
import { planChanges, planLive } from './support/plan-live.js';

const s = useE2ESite({ count: 3 });

function assertNodeNotObserved(t: import('ava').ExecutionContext, r: CliResult, node: string, why: RegExp): void {
  t.is(r.code, 1, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stderr, new RegExp(`^error: 1 node\\(s\\) could not be observed, so the plan does not cover them: ${node}$`, 'm'), r.stderr);
  t.regex(r.stderr.slice(r.stderr.indexOf(`  ${node}: `)), why, r.stderr);
  t.regex(r.stdout, new RegExp(`Warning: node ${node} was unreachable`), r.stdout);
  const nodes = new Set(planChanges(r.stdout).map((c) => c.split(' ')[0]));
  t.deepEqual([...nodes].sort(), ['node1', 'node2', 'node3'].filter((n) => n !== node), 'the plan still covers the other nodes');
}

test.serial('a node that is down: plan exits 1 naming it, live and from a snapshot', async (t) => {
  await s().hosts.stopHost('node3');
  try {
    for (const extra of [[], ['--detailed-exitcode']]) assertNodeNotObserved(t, await planLive(s(), extra), 'node3', /EHOSTUNREACH|unreachable/);

    const dir = await mkdtemp(path.join(tmpdir(), 'underlay-e2e-exit-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const snapshot = path.join(dir, 'inventory.json');
    const inventory = await s().underlay(['inventory', '--out', snapshot]);
    t.is(inventory.code, 1, inventory.stderr);
    t.regex(inventory.stderr, /node node3 unreachable/);
    t.true(existsSync(snapshot), 'the snapshot of the others is still written');
    const offline = await runCli(['plan', '--repo', s().repoDir, '--inventory', snapshot, '--no-color', '--detailed-exitcode']);
    assertNodeNotObserved(t, offline, 'node3', /EHOSTUNREACH|unreachable/);
  } finally {
    await s().hosts.startHost('node3');
  }
});

test.serial('a node presenting another key than the pinned one: plan exits 1 naming it', async (t) => {
  const wrongKey = await foreignHostKey();
  await s().commit('node2: pin a key of another machine', async (dir) => {
    const file = path.join(dir, 'nodes/node2.yaml');
    const doc = parseDocument(await readFile(file, 'utf8'));
    doc.setIn(['spec', 'ssh', 'hostKey'], wrongKey);
    await writeFile(file, doc.toString({ lineWidth: 0 }));
  });
  for (const extra of [[], ['--detailed-exitcode']]) assertNodeNotObserved(t, await planLive(s(), extra), 'node2', /host key mismatch/);

  await s().repin('node2: its own key again');
  const fine = await planLive(s(), ['--detailed-exitcode']);
  t.is(fine.code, 2, `every node observed, changes pending: ${fine.stderr}`);
  t.notRegex(fine.stderr, /could not be observed/);
});
