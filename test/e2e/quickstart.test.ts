/**
 * The quick start end to end, as an operator runs it: `bash scripts/quickstart.sh` on three real test hosts
 * brings up TLS etcd, then leaves `underlay controller` running. The test checks what the script claims
 * against the controller itself: its API answers with the bearer token from the secret store, the commit
 * the script made is the revision the controller applied, its log shows the hand edit on node1 found as
 * drift and corrected, and the file on the node is the managed one again. `quickstart.sh down` stops the
 * controller (its pid file) and removes the hosts.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');
const base = path.join(root, '.state/quickstart');
const run = promisify(execFile);

function script(...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', [path.join(root, 'scripts/quickstart.sh'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let pid: number | undefined;
test.after.always(async () => {
  await script('down');
  if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
});

interface SiteStatus {
  name?: string;
  lastAppliedRevision: string | null;
  lastReconcile: { outcome: string } | null;
}

test.serial('the quick start ends with the controller applying a commit, correcting a hand edit, and its API answering', async (t) => {
  t.timeout(15 * 60_000);
  const up = await script();
  t.is(up.code, 0, up.output);
  pid = Number(await readFile(path.join(base, 'controller.pid'), 'utf8'));
  t.true(alive(pid), 'the controller keeps running after the script');

  const config = await readFile(path.join(base, 'controller.yaml'), 'utf8');
  const listen = /listen: "([^"]+)"/.exec(config)?.[1];
  const token = (await readFile(path.join(base, 'secrets/controller-api-token'), 'utf8')).trim();
  t.false(config.includes(token), 'the token is in the secret store, not in the configuration');
  const denied = await fetch(`http://${listen}/api/v1/sites`);
  t.is(denied.status, 401);
  const answer = await fetch(`http://${listen}/api/v1/sites`, { headers: { authorization: `Bearer ${token}` } });
  t.is(answer.status, 200);
  const { sites } = (await answer.json()) as { sites: SiteStatus[] };
  const head = (await run('git', ['-C', path.join(base, 'site'), 'rev-parse', 'HEAD'])).stdout.trim();
  const { stdout: subject } = await run('git', ['-C', path.join(base, 'site'), 'log', '-1', '--format=%s']);
  t.is(subject.trim(), 'motd: the controller applies it', 'the head is the commit the script made for the controller');
  t.is(sites.length, 1);
  t.is(sites[0]!.lastAppliedRevision, head, 'the controller applied the commit');
  t.true(up.output.includes(`"lastAppliedRevision": "${head}"`), 'the script printed the API answer');
  t.regex(up.output, /applied by the controller as run \d+, finished .*: -?\d+ ms from the commit to converged/);
  // The figures the script printed, logged (not asserted: they depend on the machine).
  for (const line of up.output.split('\n').filter((l) => / ms (from the commit|after the edit)/.test(l))) t.log(line.trim());

  const logs = (await readFile(path.join(base, 'controller.log'), 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const checks = logs.filter((l) => l.msg === 'drift checked');
  const has = (field: string) => checks.some((l) => Array.isArray(l[field]) && (l[field] as string[]).includes('node1/file:/etc/motd'));
  t.true(has('drifted'), 'the hand edit was reported as drift');
  t.true(has('corrected'), 'and corrected');

  const hosts = JSON.parse(await readFile(path.join(base, 'hosts.json'), 'utf8')) as { hosts: { address: string }[] };
  const { stdout: motd } = await run('ssh', ['-q', '-i', path.join(base, 'secrets/ssh-client-key'), '-o', `UserKnownHostsFile=${path.join(base, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', `root@${hosts.hosts[0]!.address}`, 'cat /etc/motd']);
  t.true(motd.includes('Managed by underlay: applied by the controller'), 'node1 has the managed motd of the new commit');
  t.false(motd.includes('edited by hand'));
  t.false(up.output.includes(token), 'the script never prints the token');

  const down = await script('down');
  t.is(down.code, 0, down.output);
  t.false(alive(pid), 'down stopped the controller');
});
