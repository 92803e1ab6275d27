/**
 * Locking on real runit test hosts (ADR 0008, issue 7 item 3): two applies at once never both change a
 * node. Every node runs a command that logs each start with the site's generation, then works for a few
 * seconds: the tests count starts per generation, never time. An apply held still at a fault point (the
 * command started on node1, not yet waited for) is the "first apply"; a second one comes while it holds.
 * - the same state directory: the site lock refuses the second at once, naming the holder; once the holder
 *   is killed the next apply takes the lock and the leases over and adopts the running command;
 * - another state directory, as a second machine would have (the holder runs in a pid namespace of its own,
 *   so its pid means nothing here): the node leases refuse it, and with --lock-timeout it waits until the
 *   killed holder's lease expires by the node's clock, then takes it over;
 * - --lock-timeout on the same state directory waits for a running apply, then finds nothing left to do;
 * - a holder whose lease was taken over cannot write the record (the node checks the fencing token);
 * - force-unlock removes a lease that would otherwise refuse every apply until it expires.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { recordManaged } from '../../reconcilers/managed-record.js';
import { releaseLease, takeLease } from '../../reconcilers/node-lease.js';
import type { LockHolder } from '../../controller/store/lock-holder.js';
import { SshTransport } from '../../controller/transport/ssh-transport.js';
import type { NodeEndpoint } from '../../controller/transport/transport.js';
import { poll } from '../hosts/exec.js';
import { createE2ESite, runCli, underlayBin, type CliResult, type E2ESite } from './support/e2e-site.js';
import { onHost } from './support/node-checks.js';

const STARTS = '/var/lib/locking/starts.log';
const NODES = ['node1', 'node2'];

let site: E2ESite | undefined;
let scratch = '';
const s = (): E2ESite => {
  if (!site) throw new Error('the e2e site did not come up');
  return site;
};

const lockingSite = (generation: number) => ({
  'cluster.yaml': `apiVersion: underlay.dev/v1alpha1
kind: Cluster
metadata:
  name: etcd
spec:
  nodes:
    roles: [etcd]
  steps:
    - name: work
      module: work
      with:
        generation: ${generation}
`,
  'modules/work.yaml': `apiVersion: underlay.dev/v1alpha1
kind: Module
metadata:
  name: work
spec:
  inputs:
    generation: {type: integer}
  resources:
    - directory: {path: /var/lib/locking}
    - file:
        path: /var/lib/locking/generation
        content: "{{ inputs.generation }}"
    - command:
        name: work
        argv: [/bin/sh, -c, 'echo "$1" >> ${STARTS}; sleep 5', _, "{{ inputs.generation }}"]
        onChangeOf: ["file:/var/lib/locking/generation"]
`,
});

async function setGeneration(generation: number): Promise<void> {
  await s().commit(`generation ${generation}`, async (dir) => {
    for (const [file, text] of Object.entries(lockingSite(generation))) await writeFile(path.join(dir, file), text);
  });
}

test.before(async () => {
  site = await createE2ESite({ count: 2 });
  scratch = await mkdtemp(path.join(tmpdir(), 'underlay-locking-'));
  await site.commit('two nodes, the work step only', async (dir) => {
    for (const gone of ['nodes/node3.yaml', 'modules/base.yaml', 'modules/etcd.yaml', 'modules/haproxy.yaml', 'services', 'ca', 'templates']) await rm(path.join(dir, gone), { recursive: true, force: true });
    for (const [file, text] of Object.entries(lockingSite(1))) await writeFile(path.join(dir, file), text);
  });
});
test.after.always(async () => {
  await site?.teardown();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** How many times each node started the command of `generation`. */
function starts(generation: number): Record<string, number> {
  return Object.fromEntries(
    NODES.map((n) => {
      const file = onHost(s().hosts, n, STARTS);
      const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
      return [n, lines.filter((l) => l === String(generation)).length];
    }),
  );
}

interface RunningApply {
  pid: number;
  output(): string;
  done: Promise<CliResult>;
  kill(): Promise<void>;
}

/**
 * `underlay apply` as a child, optionally held at a fault point (waited for) and optionally in a pid namespace
 * of its own: there its pid means nothing to an apply outside, as a holder on another machine.
 */
async function startApply(stateDir: string, options: { faultPoint?: string; ownPidNamespace?: boolean; extra?: string[] } = {}): Promise<RunningApply> {
  const marker = path.join(scratch, `marker-${Date.now()}-${Math.random()}`);
  const args = [underlayBin, 'apply', '--no-color', '--repo', s().repoDir, '--state-dir', stateDir, '--secrets-dir', s().secretsDir, ...(options.extra ?? [])];
  const env = { ...process.env, ...(options.faultPoint ? { UNDERLAY_FAULT_PAUSE: options.faultPoint, UNDERLAY_FAULT_MARKER: marker } : {}) };
  const child = options.ownPidNamespace
    ? spawn('unshare', ['--pid', '--fork', '--kill-child=SIGKILL', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), (output += d.toString())));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), (output += d.toString())));
  let ended = false;
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code: code ?? 255, stdout, stderr })));
  void done.then(() => (ended = true));
  const kill = async (): Promise<void> => {
    if (!ended) process.kill(-(child.pid as number), 'SIGKILL');
    await done;
  };
  if (options.faultPoint) {
    try {
      await poll(`apply to reach ${options.faultPoint}`, 120_000, () => {
        if (ended) throw new Error(`apply ended before ${options.faultPoint}:\n${output}`);
        return existsSync(marker) ? true : undefined;
      }, 100);
    } catch (error) {
      await kill();
      throw error;
    }
  }
  return { pid: child.pid as number, output: () => output, done, kill };
}

const applyIn = (stateDir: string, extra: string[] = []): Promise<CliResult> =>
  runCli(['apply', '--no-color', '--repo', s().repoDir, '--state-dir', stateDir, '--secrets-dir', s().secretsDir, ...extra]);

function converged(t: ExecutionContext, result: CliResult, what: string): void {
  t.is(result.code, 0, `${what}:\n${result.stdout}\n${result.stderr}`);
}

test.serial('two applies on one state directory: the second is refused at once, naming the first; nothing runs twice', async (t) => {
  converged(t, await s().underlay(['apply', '--no-color']), 'the first converge');
  t.deepEqual(starts(1), { node1: 1, node2: 1 });
  await setGeneration(2);

  const first = await startApply(s().stateDir, { faultPoint: 'during:node1/command:work', extra: ['--concurrency', '1'] });
  try {
    const second = await s().underlay(['apply', '--no-color']);
    t.is(second.code, 1, second.stdout);
    t.regex(second.stderr, new RegExp(`^error: site lab is locked in this state directory by another apply \\(site lab, host ${hostname()}, pid ${first.pid}, (run \\d+, )?since \\S+\\): .*--lock-timeout.*force-unlock`, 'm'));
    t.is(second.stdout, '', 'it observed, planned and changed nothing');
    const status = await s().underlay(['status']);
    t.regex(status.stdout, new RegExp(`site lab: held by site lab, host ${hostname()}, pid ${first.pid}, run \\d+`));
    t.regex(status.stdout, new RegExp(`node1: leased by site lab, host ${hostname()}, pid ${first.pid}`));
  } finally {
    await first.kill();
  }
  t.deepEqual(starts(2), { node1: 1, node2: 0 }, 'only the first apply started anything');

  const next = await s().underlay(['apply', '--no-color']);
  converged(t, next, 'the apply after the holder was killed');
  t.regex(next.stderr, new RegExp(`note: took over the site lock of site lab from an apply that is no longer running \\(site lab, host ${hostname()}, pid ${first.pid}`));
  t.regex(next.stderr, /note: took over the lease on node1 from an apply that is gone/);
  t.deepEqual(starts(2), { node1: 1, node2: 1 }, 'the running command was adopted, not started again');
});

test.serial('another state directory: the node leases refuse it; with --lock-timeout it takes a killed holder\'s lease over once it expires', async (t) => {
  await setGeneration(3);
  const otherState = path.join(scratch, 'other-state');
  // A short lease: killed, it frees the nodes within seconds. Its own state directory, whose lock nobody here can judge.
  const first = await startApply(path.join(scratch, 'first-state'), { faultPoint: 'during:node1/command:work', ownPidNamespace: true, extra: ['--concurrency', '1', '--lease-ttl', '4'] });
  let holderPid = '';
  try {
    const refused = await applyIn(otherState);
    t.is(refused.code, 1, refused.stdout);
    const leased = /^error: node1 is leased by site lab, host (\S+), pid (\d+), (?:run \d+, )?since \S+, until \S+ by the node's clock: .*--lock-timeout.*force-unlock --node node1` \[NodeLeased\]$/m.exec(refused.stderr);
    t.truthy(leased, refused.stderr);
    t.is(leased?.[1], hostname());
    holderPid = leased?.[2] ?? '';
    t.is(refused.stdout, '', 'it observed, planned and changed nothing');
    t.deepEqual(starts(3), { node1: 1, node2: 0 });
  } finally {
    await first.kill();
  }

  const waited = await applyIn(otherState, ['--lock-timeout', '90s']);
  converged(t, waited, 'the apply that waited for the lease');
  t.regex(waited.stderr, new RegExp(`note: took over the lease on node1 from an apply that is gone \\(node1 is leased by site lab, host ${hostname()}, pid ${holderPid}, `));
  t.deepEqual(starts(3), { node1: 1, node2: 1 }, 'node1\'s command was adopted');
  t.regex(readFileSync(onHost(s().hosts, 'node1', '/var/lib/underlay/managed.json'), 'utf8'), /"command:work"/);
});

test.serial('--lock-timeout on the same state directory waits for the running apply, then has nothing to do', async (t) => {
  await setGeneration(4);
  const first = await startApply(s().stateDir);
  await poll('the first apply to start node1\'s command', 120_000, () => (starts(4).node1 === 1 ? true : undefined), 100);
  const second = await s().underlay(['apply', '--no-color', '--lock-timeout', '2m', '--detailed-exitcode']);
  converged(t, await first.done, 'the first apply');
  t.is(second.code, 0, `the second apply waited, then found nothing to do:\n${second.stdout}\n${second.stderr}`);
  t.regex(second.stdout, /No changes/);
  t.deepEqual(starts(4), { node1: 1, node2: 1 });
});

test.serial('a holder whose lease was taken over cannot write the record: the node checks the fencing token', async (t) => {
  const hosts = s().hosts;
  const transport = new SshTransport({ auth: { type: 'key-file', path: hosts.clientKeyPath } });
  t.teardown(() => transport.close());
  const node1 = hosts.hosts[0]!;
  const endpoint: NodeEndpoint = { name: node1.name, address: node1.address, port: node1.port, user: node1.user, hostKey: node1.hostKey };
  const ctx = { transport, node: endpoint, serviceManager: 'runit' as const };
  const holder = (host: string): LockHolder => ({ site: 'lab', host, boot: 'b', pidNamespace: 'pid:[0]', pid: 1, run: null, since: new Date().toISOString() });
  const record = () => readFileSync(onHost(hosts, 'node1', '/var/lib/underlay/managed.json'), 'utf8');

  t.is((await takeLease(ctx, { token: 'aaaa1111', ttlSeconds: 60, holder: holder('laptop') })).state, 'taken');
  await recordManaged(ctx, [{ key: 'file:/etc/fenced-a', hash: 'h1' }], { site: 'lab', fence: 'aaaa1111' });
  const written = record();
  t.regex(written, /"file:\/etc\/fenced-a"/);

  t.is((await takeLease(ctx, { token: 'bbbb2222', ttlSeconds: 60, holder: holder('ci-runner'), takeover: 'aaaa1111' })).state, 'took-over');
  await t.throwsAsync(recordManaged(ctx, [{ key: 'file:/etc/fenced-b', hash: 'h2' }], { site: 'lab', fence: 'aaaa1111' }), {
    code: 'LeaseLost',
    message: /\/var\/lib\/underlay\/managed\.json was not written: this apply no longer holds the node's lease \(it is leased by site lab, host ci-runner/,
  });
  t.is(record(), written, 'the stale holder changed nothing');

  await recordManaged(ctx, [{ key: 'file:/etc/fenced-a', hash: null }], { site: 'lab', fence: 'bbbb2222' });
  t.notRegex(record(), /fenced/, 'the holder of the lease writes');
  t.deepEqual(await releaseLease(ctx, 'bbbb2222'), { state: 'released' });
});

test.serial('force-unlock removes a lease another machine left, which would refuse every apply until it expired', async (t) => {
  const hosts = s().hosts;
  const transport = new SshTransport({ auth: { type: 'key-file', path: hosts.clientKeyPath } });
  t.teardown(() => transport.close());
  const node2 = hosts.hosts[1]!;
  const endpoint: NodeEndpoint = { name: node2.name, address: node2.address, port: node2.port, user: node2.user, hostKey: node2.hostKey };
  const holder: LockHolder = { site: 'lab', host: 'laptop', boot: 'b', pidNamespace: 'pid:[0]', pid: 77, run: 5, since: new Date().toISOString() };
  t.is((await takeLease({ transport, node: endpoint }, { token: 'cccc3333', ttlSeconds: 3600, holder })).state, 'taken');

  const refused = await s().underlay(['apply', '--no-color']);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /error: node2 is leased by site lab, host laptop, pid 77, run 5/);

  const unlocked = await s().underlay(['force-unlock', '--node', 'node2']);
  t.is(unlocked.code, 0, unlocked.stderr);
  t.regex(unlocked.stderr, /^warning: force-unlock removes locks whoever holds them/);
  t.regex(unlocked.stdout, /^site lab: not locked\nnode2: removed the lease of site lab, host laptop, pid 77, run 5, since \S+\n$/);
  converged(t, await s().underlay(['apply', '--no-color']), 'the apply after force-unlock');
  t.false(existsSync(onHost(hosts, 'node2', '/var/lib/underlay/lease.json')), 'the apply gave its lease back');
});
