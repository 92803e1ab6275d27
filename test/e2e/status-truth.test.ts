/**
 * Status and apply output tell the truth, on three real runit test hosts with the real CLI: a site whose
 * config reads a fact only the nodes know passes `validate`; a batch whose node failed is never called
 * healthy; the nodes a halted rollout never reached are Ready=Unknown at the commit they are still at, not
 * Ready=True; and a node removed from Git leaves the status.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { useE2ESite } from './support/e2e-site.js';
import { onHost, ssh } from './support/node-checks.js';

const s = useE2ESite({ count: 3 });

/** Fails on a node where /etc/app-fail exists: how the test makes exactly one node's change fail. */
const FAIL_MARKER = '/etc/app-fail';

const CLUSTER = `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: app
spec:
  nodes:
    roles: [etcd]
  steps:
    - name: app
      module: app
      with:
        host: {fact: hostname}
        tag: {param: tag}
  rollout:
    batchSize: 1
    failureBudget: 0
`;

const MODULE = `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: app
spec:
  inputs:
    host: {type: string}
    tag: {type: string}
  resources:
    - directory: {path: /etc/app}
    - file:
        path: /etc/app/app.conf
        content: "host {{ inputs.host }}\\nos {{ node.facts.os.id }}\\ntag {{ inputs.tag }}\\n"
    - command:
        name: check-app
        argv: ["/usr/bin/test", "!", "-e", "${FAIL_MARKER}"]
        onChangeOf: ["file:/etc/app/app.conf"]
    - service:
        name: app
        command: /bin/sleep
        args: ["infinity"]
        restartOnChangeOf: ["file:/etc/app/app.conf"]
`;

const tagged = (tag: string) => async (dir: string): Promise<void> => {
  const site = path.join(dir, 'site.yaml');
  await writeFile(site, readFileSync(site, 'utf8').replace(/\n {2}params:\n(?: {4}tag: .*\n)?/, `\n  params:\n    tag: ${tag}\n`));
};

type Status = { nodes: { name: string; lastAppliedCommit: string | null; conditions: { type: string; status: string; reason: string; message: string }[] }[] };
const statusJson = async (): Promise<Status> => JSON.parse((await s().underlay(['status', '--output', 'json'])).stdout) as Status;
const readyOf = (status: Status, node: string) => status.nodes.find((n) => n.name === node)?.conditions.find((c) => c.type === 'Ready');

let first = '';

test.serial('a site reading a fact only the nodes know passes validate, saying so; apply resolves it from the probe', async (t) => {
  first = await s().commit('an app whose config names the host it runs on', async (dir) => {
    await rm(path.join(dir, 'modules/etcd.yaml'));
    await rm(path.join(dir, 'modules/haproxy.yaml'));
    await rm(path.join(dir, 'templates'), { recursive: true });
    await writeFile(path.join(dir, 'cluster.yaml'), CLUSTER);
    await writeFile(path.join(dir, 'modules/app.yaml'), MODULE);
    await tagged('one')(dir);
  });
  const validate = await s().underlay(['validate']);
  t.is(validate.code, 0, validate.stderr);
  t.regex(validate.stderr, /cluster\.yaml:\d+:\d+: warning: spec\.steps\[0\]\.with\.host: \{fact: hostname\} is observed on the node, so input "host" is resolved at plan time/);
  t.regex(validate.stderr, /modules\/app\.yaml:\d+:\d+: warning: spec\.resources\[1\]\.file\.content: node\.facts\.os is observed on the node/);
  t.regex(validate.stdout, /^Valid: .*resolved at plan time, from facts observed on the nodes: app\/app \(3 node\(s\)\)/);

  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  for (const n of ['node1', 'node2', 'node3']) {
    const hostname = (await ssh(s().hosts, n, 'hostname')).trim();
    t.is(readFileSync(onHost(s().hosts, n, '/etc/app/app.conf'), 'utf8'), `host ${hostname}\nos debian\ntag one\n`, `${n} has its own observed hostname`);
  }
  const status = await s().underlay(['status']);
  t.is(status.code, 0, status.stdout);
});

test.serial('a batch whose node failed is FAILED with why, not healthy', async (t) => {
  await ssh(s().hosts, 'node1', `touch ${FAIL_MARKER}`);
  await s().commit('tag two', tagged('two'));
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 1, `${apply.stdout}\n${apply.stderr}`);
  t.regex(apply.stdout, /^ {2}rollout app batch 1 \(node1\): FAILED node1 \(node1\/command:check-app: .+\)$/m, apply.stdout);
  t.notRegex(apply.stdout, /batch 1 \(node1\): healthy/);
  t.regex(apply.stderr, /RolloutHalted \(FailureBudgetExceeded\)/);
});

test.serial('the nodes the halted rollout never reached are Ready=Unknown at the commit they are still at, not Ready=True', async (t) => {
  for (const n of ['node2', 'node3']) t.true(readFileSync(onHost(s().hosts, n, '/etc/app/app.conf'), 'utf8').endsWith('tag one\n'), `${n} not reached`);
  const text = await s().underlay(['status']);
  t.is(text.code, 1, text.stdout);
  t.notRegex(text.stdout, /Ready=True/, 'no node is Ready from the older commit');
  const status = await statusJson();
  t.is(readyOf(status, 'node1')?.status, 'False');
  for (const n of ['node2', 'node3']) {
    const ready = readyOf(status, n);
    t.is(ready?.status, 'Unknown', `${n}: ${JSON.stringify(ready)}`);
    t.is(ready?.reason, 'NotReached');
    t.regex(ready?.message ?? '', new RegExp(`halted\\) did not reach this node; it is still at ${first.slice(0, 12)} \\(applied in run 1\\)$`));
    t.regex(text.stdout, new RegExp(`\\n  ${n} @ ${first.slice(0, 12)}\\n    Ready=Unknown NotReached: `));
  }
});

test.serial('a node removed from Git leaves the status', async (t) => {
  await ssh(s().hosts, 'node1', `rm ${FAIL_MARKER}`);
  const third = await s().commit('node3 leaves the site', (dir) => rm(path.join(dir, 'nodes/node3.yaml')));
  const apply = await s().underlay(['apply', '--no-color']);
  t.is(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
  t.regex(apply.stdout, /^ {2}rollout app batch 1 \(node1\): healthy: service-up$/m);

  const status = await statusJson();
  t.deepEqual(status.nodes.map((n) => [n.name, n.lastAppliedCommit, readyOf(status, n.name)?.status]), [
    ['node1', third, 'True'],
    ['node2', third, 'True'],
  ]);
  const text = await s().underlay(['status']);
  t.is(text.code, 0, text.stdout);
  t.notRegex(text.stdout, /node3/);
});
