/**
 * While the real `underlay controller` runs a site, a CLI `underlay apply` of it is refused (issue 11 item 6):
 * exit 1, the controller named, `underlay rollout …` pointed to, and nothing changed on the node. The
 * controller runs the site under `plan-only`, so whatever reaches the node can only come from the CLI.
 * Once the controller is SIGKILLed (no clean exit, its registration left behind), apply takes over with a
 * note and converges the node. Every wait is for something seen (a log line, an exit), never a delay.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { SqliteStore, stateDatabaseFile } from '../../controller/store/sqlite-store.js';
import { steppingClock } from '../../controller/clock.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { onHost } from './support/node-checks.js';
import { startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';

const site = useOneNodeSite();

let controller: ControllerProcess | undefined;
test.after.always(async () => {
  await controller?.stop('SIGKILL');
});

async function runsOf(): Promise<number> {
  const store = SqliteStore.openReadOnly({ file: stateDatabaseFile(site().stateDir), site: 'lab', clock: steppingClock() });
  try {
    return (await store.runs()).length;
  } finally {
    await store.close();
  }
}

test.serial('a CLI apply is refused while the controller runs the site, and takes over once the controller was SIGKILLed', async (t) => {
  const config = await writeControllerConfig(site(), ['  - name: lab', `    source: {repository: ${site().repoDir}, ref: main}`, '    apply: {policy: plan-only}'].join('\n'));
  controller = startController(config);
  await controller.waitForLog((l) => l.msg === 'reconciled', 'the first (plan-only) reconcile');
  const pid = controller.child.pid!;
  const motd = onHost(site().hosts, 'node1', '/etc/motd');
  t.false(existsSync(motd), 'plan-only: the controller applied nothing');

  const refused = await site().underlay(['apply', '--no-color']);
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  t.regex(refused.stderr, new RegExp(`^error: site lab is run by an underlay controller \\(controller pid ${pid} on host `, 'm'));
  t.regex(refused.stderr, /underlay rollout status\|pause\|resume\|abort/);
  t.regex(refused.stderr, /nothing was done/);
  t.false(existsSync(motd), 'nothing changed on the node');
  t.is(await runsOf(), 0, 'no run was begun');

  const plan = await site().underlay(['plan', '--no-color']);
  t.is(plan.code, 0, `plan works while the controller runs: ${plan.stderr}`);
  const rollouts = await site().underlay(['rollout', 'status']);
  t.is(rollouts.code, 0, `rollout status works while the controller runs: ${rollouts.stderr}`);
  const status = await site().underlay(['status']);
  t.is(status.code, 0, `status works while the controller runs: ${status.stderr}`);

  await controller.stop('SIGKILL');
  controller = undefined;
  const applied = await site().underlay(['apply', '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.regex(applied.stderr, new RegExp(`^note: site lab: took over from a controller that is no longer running \\(controller pid ${pid} on host `, 'm'));
  t.true(existsSync(motd), 'the apply converged the node');

  const again = await site().underlay(['apply', '--no-color']);
  t.is(again.code, 0, again.stderr);
  t.notRegex(again.stderr, /took over/, 'the takeover is said once');
});

test.serial('a controller that stopped cleanly (SIGTERM) leaves the site free: no takeover note', async (t) => {
  const config = await writeControllerConfig(site(), ['  - name: lab', `    source: {repository: ${site().repoDir}, ref: main}`, '    apply: {policy: plan-only}'].join('\n'));
  controller = startController(config);
  await controller.waitForLog((l) => l.msg === 'reconciled', 'a reconcile');
  t.is(await controller.stop('SIGTERM'), 0, controller.output());
  controller = undefined;
  const applied = await site().underlay(['apply', '--no-color']);
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.notRegex(applied.stderr, /took over|run by an underlay controller/);
});
