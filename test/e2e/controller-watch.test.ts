/**
 * A local commit applied through the watch, on a real test host, by the real `underlay controller`: after
 * the first apply the site's resync interval is an hour away and nobody asks, so only the watch of the
 * repository's refs (controller/watch) can start the reconcile that applies the new commit.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git } from './support/e2e-site.js';
import { ssh } from './support/node-checks.js';
import { useOneNodeSite } from './support/one-node-site.js';
import { startController, writeControllerConfig, type ControllerProcess } from './support/controller-process.js';

const site = useOneNodeSite();

let controller: ControllerProcess | undefined;
test.after.always(async () => {
  await controller?.stop('SIGKILL');
});

test.serial('a commit to the local repository is applied through the watch, with no other trigger', async (t) => {
  const config = await writeControllerConfig(site(), ['  - name: lab', `    source: {repository: ${site().repoDir}, ref: main}`, '    interval: 1h'].join('\n'), { log: 'debug' });
  controller = startController(config);
  const first = await git(site().repoDir, 'rev-parse', 'HEAD');
  await controller.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === first, 'the first apply');
  const reconciles = controller.logs.filter((l) => l.msg === 'reconciled').length;

  const committing = Date.now();
  const head = await site().commit('a new banner', async (dir) => {
    const file = path.join(dir, 'site.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('Local changes are reported as drift.', 'Applied through the watch.'));
  });
  await controller.waitForApi('/api/v1/sites/lab', (b) => b.lastAppliedRevision === head, 'the new commit applied');
  t.true((await ssh(site().hosts, 'node1', 'cat /etc/motd')).includes('Applied through the watch.'));
  const requested = controller.logs.filter((l) => l.msg === 'reconcile requested').map((l) => l.reason);
  t.true(requested.includes('watch'), `the watch asked for the reconcile (${requested.join(', ')})`);
  t.false(requested.includes('api') || requested.includes('interval'), 'nothing else did');
  t.true(controller.logs.filter((l) => l.msg === 'reconciled').length > reconciles);
  // A figure for the record, not an assertion: from the start of `git commit` to the reconcile's log line.
  const applied = controller.logs.find((l) => l.msg === 'reconciled' && l.revision === head);
  t.log(`commit to converged through the watch: ${Date.parse(String(applied?.time)) - committing} ms`);
  t.is(await controller.stop(), 0);
});
