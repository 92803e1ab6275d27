/**
 * The CLI's side of the controller in-process: `underlay controller` refusing a bad configuration before
 * it starts anything, and `underlay approve` / `reconcile` talking to a running supervisor's API.
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configText, fakePlan, startControllerHarness } from '../../../test/support/controller-harness.js';
import { main } from '../main.js';

const work = mkdtempSync(path.join(tmpdir(), 'underlay-controller-cli-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: work, env });
  return { code, stdout, stderr };
}

test('a configuration that does not validate: exit 1, every problem with file:line:col, nothing created', async (t) => {
  writeFileSync(path.join(work, 'bad.yaml'), configText('  - name: lab\n    source: {repository: ./site, poll: often}\n    apply: {policy: yolo}\n'));
  const { code, stderr } = await cli(['controller', '--config', 'bad.yaml', '--state', 'state']);
  t.is(code, 1);
  t.regex(stderr, /^error: bad\.yaml is not a valid controller configuration:\n/);
  t.regex(stderr, /bad\.yaml:5:40: error: sites\[0\]\.source\.poll: must be a duration/);
  t.regex(stderr, /bad\.yaml:6:21: error: sites\[0\]\.apply\.policy: must be one of "auto", "plan-only", "approve" \[SchemaViolation\]/);
  t.regex(stderr, /\[ControllerConfigInvalid\]\n$/);
  t.false(existsSync(path.join(work, 'state')), 'no state directory was made');
});

test('approve through the API: a stale hash is refused with exit 1, the current one approved; reconcile asks for one', async (t) => {
  const h = await startControllerHarness(configText('  - name: lab\n    source: { repository: /srv/lab }\n    apply: { policy: approve }\n'));
  t.teardown(() => h.close());
  await h.open[0]!.finish((state) => ({ type: 'continue', state: { ...state, plan: fakePlan('h1') } }));
  const env = { UNDERLAY_API_TOKEN: h.token };
  const stale = await cli(['approve', '--site', 'lab', '--plan-hash', 'h0', '--api', h.api.url], env);
  t.is(stale.code, 1);
  t.regex(stale.stderr, /approve refused \(HTTP 409\): plan h0 is not the current plan of site lab \(h1\): it is stale/);
  t.is((await cli(['approve', '--site', 'lab', '--plan-hash', 'h1', '--api', h.api.url], env)).code, 0);
  t.is(h.open[0]?.approvedPlanHash, 'h1');
  const again = await cli(['reconcile', '--site', 'lab', '--api', h.api.url], env);
  t.is(again.code, 0);
  t.regex(again.stdout, /"reconcile":"queued"/);
  const noToken = await cli(['reconcile', '--site', 'lab', '--api', h.api.url], { UNDERLAY_API_TOKEN: 'wrong' });
  t.is(noToken.code, 1);
  t.regex(noToken.stderr, /HTTP 401/);
});

test('a controller that is not there: exit 1 with what was tried, not an internal error', async (t) => {
  const { code, stderr } = await cli(['reconcile', '--site', 'lab', '--api', 'http://127.0.0.1:9'], { UNDERLAY_API_TOKEN: 'x' });
  t.is(code, 1);
  t.regex(stderr, /^error: the controller API at http:\/\/127\.0\.0\.1:9 cannot be reached \(.+\): is the controller running, and is this its address\? \[ControllerUnreachable\]\n$/);
});
