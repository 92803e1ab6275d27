/**
 * Drain, changes, gates and undrain, in that order, through the real `underlay apply` on real test hosts:
 * node1 and node2 run a service whose configuration changes, one batch each; the module drains each member
 * on node2 (the "load balancer", which logs what it is told) and on the member itself (which logs the
 * configuration it is about to lose), and gates it with a command. A change whose gate never passes halts
 * the rollout at the progress deadline with RolloutHalted naming the gate and what it printed, leaves
 * node1 drained, and never touches node2.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { createE2ESite, type E2ESite } from './support/e2e-site.js';

let site: E2ESite | undefined;
const s = (): E2ESite => site ?? (() => { throw new Error('the e2e site did not come up'); })();

const MODULE = (gateArgv: string) => `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: app
spec:
  inputs:
    version: {type: string}
  resources:
    - directory: {path: /etc/app}
    - secretFile: {path: /etc/app/token, secret: app-token}
    - file: {path: /etc/app/app.conf, content: "version {{ inputs.version }}\\n"}
    - service:
        name: app
        command: /bin/sleep
        args: ["1000000"]
        restartOnChangeOf: [file:/etc/app/app.conf]
  health:
    - name: config-live
      command:
        argv: ${gateArgv}
      timeout: 2s
  drain:
    - on: node2
      argv: [sh, -c, 'echo "drain $1" >> /var/log/lb.log', _, "{{ node.name }}"]
    - argv: [sh, -c, 'echo "drain: $(cat /etc/app/app.conf 2>/dev/null || echo none)" >> /var/log/app-steps.log']
  undrain:
    - argv: [sh, -c, 'echo "undrain: $(cat /etc/app/app.conf)" >> /var/log/app-steps.log']
    - on: node2
      argv: [sh, -c, 'echo "undrain $1" >> /var/log/lb.log', _, "{{ node.name }}"]
`;

const CLUSTER = (version: string) => `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: app
spec:
  nodes: {names: [node1, node2]}
  rollout:
    progressDeadline: 4s
  steps:
    - name: app
      module: app
      with:
        version: "${version}"
`;

const PASSING_GATE = '[grep, -q, "version {{ inputs.version }}", /etc/app/app.conf]';

async function writeSite(dir: string, version: string, gateArgv = PASSING_GATE): Promise<void> {
  await writeFile(path.join(dir, 'modules/app.yaml'), MODULE(gateArgv));
  await writeFile(path.join(dir, 'cluster.yaml'), CLUSTER(version));
}

/** A controller secret delivered to the members, which a failing gate prints: its output must never carry it. */
const TOKEN = 'app-token-7f3a9c1e5b2d4f60';

test.before(async () => {
  site = await createE2ESite({ count: 2 });
  await writeFile(path.join(site.secretsDir, 'app-token'), `${TOKEN}\n`, { mode: 0o600 });
  await site.commit('one service on node1, drained on node2', async (dir) => {
    for (const gone of ['nodes/node3.yaml', 'services', 'ca', 'templates', 'modules']) await rm(path.join(dir, gone), { recursive: true, force: true });
    await mkdir(path.join(dir, 'modules'));
    const siteDoc = parseDocument(await readFile(path.join(dir, 'site.yaml'), 'utf8'));
    siteDoc.setIn(['spec', 'secrets'], [{ name: 'app-token', nodes: { names: ['node1', 'node2'] } }]);
    await writeFile(path.join(dir, 'site.yaml'), siteDoc.toString());
    await writeSite(dir, '1');
  });
});

test.after.always(async () => {
  await site?.teardown();
});

const onNode = async (node: string, file: string): Promise<string> => readFile(path.join(s().hosts.hosts.find((h) => h.name === node)!.upperDir, file), 'utf8').catch(() => '');

test.serial('the plan shows the gates and drain steps; apply drains before the change, gates after it, undrains after the gate passed', async (t) => {
  // Creating the service disrupts nothing, so the first apply has no batches and drains nothing.
  const first = await s().underlay(['apply', '--no-color']);
  t.is(first.code, 0, `${first.stdout}\n${first.stderr}`);
  t.is(await onNode('node2', 'var/log/lb.log'), '');
  await s().commit('version 2', (dir) => writeSite(dir, '2'));
  const plan = await s().underlay(['plan', '--no-color']);
  t.regex(plan.stdout, /batch 1, node1: drain on node2: sh -c .* _ node1; sh -c .*; then gates service-up, config-live \(grep -q "version 2" \/etc\/app\/app.conf\); then undrain /);
  const second = await s().underlay(['apply', '--no-color']);
  t.is(second.code, 0, `${second.stdout}\n${second.stderr}`);
  t.regex(second.stdout, /rollout app batch 1: drain node1 done[\s\S]*rollout app batch 1: undrain node1 done[\s\S]*rollout app batch 1 \(node1\): healthy[\s\S]*rollout app batch 2: drain node2 done/);
  // Each member logged the configuration it had when drained (the old one) and when undrained (the new one).
  t.is(await onNode('node1', 'var/log/app-steps.log'), 'drain: version 1\nundrain: version 2\n');
  t.is(await onNode('node2', 'var/log/lb.log'), 'drain node1\nundrain node1\ndrain node2\nundrain node2\n');
});

test.serial('a gate that never passes halts at the progress deadline, names the gate and its output, and leaves the node drained', async (t) => {
  // The gate prints the secret the node holds: a check can print anything it can read.
  await s().commit('version 3, with a gate that cannot pass', (dir) => writeSite(dir, '3', '[sh, -c, \'echo "replica lag too high, token $(cat /etc/app/token)" >&2; exit 3\']'));
  const third = await s().underlay(['apply', '--no-color']);
  t.not(third.code, 0);
  t.regex(third.stderr, /RolloutHalted \(FailureBudgetExceeded\): .*\[node1: config-live timed out "gate config-live did not pass by the progress deadline \(\d+ attempts\): exit 3, expected 0: replica lag too high, token \[redacted secret app-token\]"\]/);
  t.regex(third.stdout, /UNHEALTHY node1: gate config-live did not pass by the progress deadline \(\d+ attempts?\): exit 3, expected 0: replica lag too high/);
  t.is(await onNode('node2', 'var/log/lb.log'), 'drain node1\nundrain node1\ndrain node2\nundrain node2\ndrain node1\n', 'node1 stays out of the load balancer; node2 is never drained');
  t.is(await onNode('node2', 'etc/app/app.conf'), 'version 2\n', 'the halted batch never changed node2');
  const status = await s().underlay(['status']);
  t.regex(status.stdout + status.stderr, /replica lag too high, token \[redacted secret app-token\]/);
  // Nothing the controller wrote or printed holds the token: output, status, and the state directory byte for byte.
  t.is(await onNode('node1', 'etc/app/token'), `${TOKEN}\n`, 'the gate really could read it');
  const stateFiles = readdirSync(s().stateDir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  const holding = [third.stdout, third.stderr, status.stdout, status.stderr].filter((o) => o.includes(TOKEN)).length;
  t.is(holding, 0);
  t.deepEqual(stateFiles.filter((f) => readFileSync(f).includes(TOKEN)), []);
});
