/**
 * The approve policy on a real test host, through the real process and the real CLI: the controller plans
 * and waits (AwaitingApproval, nothing applied); `underlay approve` with a stale hash is refused; with the
 * plan's hash the controller plans again under the apply locks, finds the same plan (the hash covers the
 * observed nodes, and taking the locks must not change it) and applies it; the approval is then used up.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { git, runCli } from './support/e2e-site.js';
import { onHost } from './support/node-checks.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';

const site = useOneNodeSite();

let controller: ControllerProcess | undefined;
test.after.always(async () => {
  await controller?.stop('SIGKILL');
});

interface SiteView {
  plan: { hash: string; changes: number } | null;
  approvedPlanHash: string | null;
  lastAppliedRevision: string | null;
  lastReconcile: { outcome: string; code?: string } | null;
}

test.serial('approve: planned and held until its plan hash is approved; a stale hash is refused; the approved plan is applied', async (t) => {
  const config = await writeControllerConfig(site(), ['  - name: lab', `    source: {repository: ${site().repoDir}, ref: main}`, '    apply: {policy: approve}'].join('\n'));
  controller = startController(config);
  const held = (await controller.waitForApi('/api/v1/sites/lab', (b) => (b as unknown as SiteView).lastReconcile?.code === 'AwaitingApproval', 'the plan awaiting approval')) as unknown as SiteView;
  const hash = held.plan?.hash ?? '';
  t.true((held.plan?.changes ?? 0) > 0);
  t.is(held.lastAppliedRevision, null);
  t.false(existsSync(onHost(site().hosts, 'node1', '/var/lib/underlay-base/node.env')), 'nothing applied before the approval');

  const stale = await runCli(['approve', '--config', config, '--site', 'lab', '--plan-hash', 'f'.repeat(64)]);
  t.is(stale.code, 1);
  t.regex(stale.stderr, /is stale/);

  const approved = await runCli(['approve', '--config', config, '--site', 'lab', '--plan-hash', hash]);
  t.is(approved.code, 0, approved.stderr);
  const head = await git(site().repoDir, 'rev-parse', 'HEAD');
  const done = (await controller.waitForApi('/api/v1/sites/lab', (b) => (b as unknown as SiteView).lastAppliedRevision === head, 'the approved plan applied')) as unknown as SiteView;
  t.is(done.approvedPlanHash, null, 'the approval is used up');
  t.true(existsSync(onHost(site().hosts, 'node1', '/var/lib/underlay-base/node.env')));
  t.true(controller.logs.some((l) => l.msg === 'reconciled' && l.planHash === hash && l.outcome === 'done'), 'the plan applied is the plan approved');
  t.is(await controller.stop(), 0);
});
