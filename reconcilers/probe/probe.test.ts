import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InventoryNodeSchema } from '../../controller/inventory/inventory.js';
import type { DesiredNode, DesiredResource } from '../../controller/model/desired.js';
import type { NodeResourceSpec } from '../../test/support/build-desired.js';
import { definitionHash } from '../service/definition.js';
import { renderManagedRecord } from '../managed-record-format.js';
import { registry } from '../registry.js';
import { ProbeOutputError } from './answer-fields.js';
import { buildProbe, ProbeRequestError } from './build-probe.js';
import { parseAddressLine, parseProbeOutput } from './parse-probe-output.js';
import { runLocally } from '../../test/support/local-transport.js';

function resource(key: string, spec: NodeResourceSpec): DesiredResource {
  return { key, spec, dependsOn: [], origin: { cluster: 'c', step: 's', module: 'm', location: { file: 'm.yaml', line: 1, column: 1 } } };
}

function node(resources: DesiredResource[], serviceManager: 'runit' | 'systemd' = 'runit'): DesiredNode {
  return {
    name: 'node1',
    address: '198.18.0.2',
    port: 22,
    user: 'root',
    hostKey: 'ssh-ed25519 AAAA',
    serviceManager,
    roles: [],
    labels: {},
    clusters: ['c'],
    resources,
  };
}

const file = (path: string, content = 'x'): DesiredFile => ({
  kind: 'file',
  path,
  content,
  sha256: createHash('sha256').update(content).digest('hex'),
  mode: '0644',
  owner: 'root',
  group: 'root',
});
type DesiredFile = Extract<NodeResourceSpec, { kind: 'file' }>;

const HEADER = ['underlay-probe', '2'];

/** Output as the probe frames it (framed-output.ts). */
function framed(records: string[][]): string {
  return records.map((r) => r.map((f) => `${Buffer.byteLength(f)}:${f}`).join(' ') + '\n').join('');
}

/** Runs the probe with the local sh: the same script a node runs, against a temporary directory. */

test('buildProbe asks one line per resource, guards as base64 of the quoted argv', (t) => {
  const probe = buildProbe(registry, 
    node([
      resource('command:init', { kind: 'command', name: 'init', argv: ['/bin/true'], creates: '/var/lib/x', unless: ['test', '-e', "/a b'c"], onChangeOf: [] }),
      resource('command:plain', { kind: 'command', name: 'plain', argv: ['/bin/true'], onChangeOf: [] }),
      resource('directory:/etc/app', { kind: 'directory', path: '/etc/app', mode: '0755', owner: 'root', group: 'root' }),
      resource('file:/etc/app/a b.conf', file('/etc/app/a b.conf')),
      resource('service:app', { kind: 'service', name: 'app', command: '/bin/sleep', args: ['1'], environment: {}, user: 'root', restart: 'always', enabled: true, restartOnChangeOf: [] }),
    ]),
    ['file:/etc/old.conf', 'file:/etc/app/a b.conf', 'command:gone'],
  );
  // The requests twice, parted by an empty line: the probe's first pass reads the first copy (probe-script.ts).
  const [first, second] = probe.stdin.split('\n\n') as [string, string];
  t.is(`${first}\n`, second);
  const lines = second.split('\n');
  t.deepEqual(lines.slice(0, 2), ['run\tinit', 'creates\tinit\t/var/lib/x']);
  t.is(Buffer.from((lines[2] as string).split('\t')[2] as string, 'base64').toString(), `'test' '-e' '/a b'\\''c'`);
  t.deepEqual(lines.slice(3), ['run\tplain', 'directory\t/etc/app', 'file\t/etc/app/a b.conf', 'service\tapp\trunit', 'file\t/etc/old.conf', '']);
  t.deepEqual(probe.argv.slice(0, 2), ['sh', '-c']);
});

test('buildProbe refuses a path with a tab', (t) => {
  const error = t.throws(() => buildProbe(registry, node([resource('file:/etc/a\tb', file('/etc/a\tb'))])), { instanceOf: ProbeRequestError, code: 'ProbeRequestInvalid' });
  t.regex(error.message, /tab/);
});

test('parseProbeOutput reads facts, managed record and every answer', (t) => {
  const probe = buildProbe(registry, 
    node(
      [
        resource('file:/etc/a', file('/etc/a')),
        resource('file:/etc/b', file('/etc/b')),
        resource('service:app', { kind: 'service', name: 'app', command: '/bin/sleep', args: [], environment: {}, user: 'root', restart: 'always', enabled: true, restartOnChangeOf: [] }),
        resource('certificate:web', { kind: 'certificate', name: 'web', ca: 'ca', commonName: 'x', dnsNames: [], ipAddresses: [], usages: ['server'], keyPath: '/etc/k', certPath: '/etc/c', owner: 'root', group: 'root', mode: '0644', keyType: 'ecdsa-p256', validityDays: 9, rotationPolicy: 'Always' }),
      ],
      'systemd',
    ),
  );
  const managed = renderManagedRecord({ 'file:/etc/a': { hash: 'h1' }, 'directory:/etc/gone': { hash: 'h2' } });
  const sha = 'a'.repeat(64);
  const unit = '[Unit]\nDescription=app\n';
  const out = framed([
    HEADER,
    ['F', 'hostname', 'node1'],
    ['F', 'os-id', 'debian'],
    ['F', 'os-version', '"12"'],
    ['F', 'arch', 'x86_64'],
    ['F', 'kernel', '6.1.0'],
    ['F', 'service-manager', 'systemd'],
    ['A', '2: eth0    inet 198.18.0.2/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever'],
    ['M', 'record', 'present', Buffer.from(managed).toString('base64')],
    ['M', 'prev', 'absent'],
    ['R', '0', '1', sha, '600:root:adm:12'],
    ['R', '1', '0'],
    ['R', '2', '1', 'active', 'enabled', '4242', '/etc/systemd/system/app.service', '644', Buffer.from(unit).toString('base64')],
    ['R', '3', '0'],
    ['R', '4', '1', 'ab' + 'cd'.repeat(31)],
    ['end', '5'],
  ]);
  const parsed = parseProbeOutput(registry, probe, out);
  t.deepEqual(parsed.facts, {
    hostname: 'node1',
    os: { id: 'debian', versionId: '12' },
    arch: 'x86_64',
    kernel: '6.1.0',
    addresses: [{ interface: 'eth0', family: 'inet', address: '198.18.0.2', prefixLength: 24 }],
    serviceManager: 'systemd',
  });
  t.deepEqual(parsed.resources['file:/etc/a'], { kind: 'file', path: '/etc/a', exists: true, sha256: sha, size: 12, mode: '0600', owner: 'root', group: 'adm' });
  t.deepEqual(parsed.resources['file:/etc/b'], { kind: 'file', path: '/etc/b', exists: false });
  t.deepEqual(parsed.resources['service:app'], {
    kind: 'service',
    name: 'app',
    exists: true,
    definitionHash: definitionHash([{ path: '/etc/systemd/system/app.service', mode: '0644', content: unit }]),
    running: true,
    enabled: true,
    pid: 4242,
  });
  t.deepEqual(parsed.resources['certificate:web'], {
    kind: 'certificate',
    name: 'web',
    exists: false,
    nodeKeyFingerprint: 'ab' + 'cd'.repeat(31),
  });
  t.deepEqual(parsed.managed, { 'file:/etc/a': { hash: 'h1' }, 'directory:/etc/gone': { hash: 'h2' } });
  t.deepEqual(parsed.unobservedManagedKeys, ['directory:/etc/gone']);
});

test('parseProbeOutput refuses a truncated answer set', (t) => {
  const probe = buildProbe(registry, node([resource('file:/etc/a', file('/etc/a'))]));
  const absent = [['M', 'record', 'absent'], ['M', 'prev', 'absent']];
  t.throws(() => parseProbeOutput(registry, probe, framed([HEADER, ...absent, ['end', '1']])), { instanceOf: ProbeOutputError, code: 'ProbeOutputInvalid', message: /no answer .*file:\/etc\/a/ });
  t.throws(() => parseProbeOutput(registry, probe, framed([HEADER, ...absent, ['R', '0', '0']])), { instanceOf: ProbeOutputError, message: /did not finish/ });
  t.throws(() => parseProbeOutput(registry, probe, framed([HEADER, ['R', '0', '0'], ['end', '1']])), { instanceOf: ProbeOutputError, message: /did not finish/ });
  t.throws(() => parseProbeOutput(registry, probe, framed([HEADER, ...absent, ['R', '0', '0'], ['end', '1']]).slice(0, -2)), { instanceOf: ProbeOutputError, message: /truncated/ });
  t.throws(() => parseProbeOutput(registry, probe, framed([HEADER, ...absent, ['R', '0', '0'], ['end', '1']]).slice(0, -1)), { instanceOf: ProbeOutputError, message: /truncated/ });
  t.throws(() => parseProbeOutput(registry, probe, framed([['underlay-probe', '1'], ...absent, ['end', '0']])), { instanceOf: ProbeOutputError, message: /version 2/ });
  t.throws(() => parseProbeOutput(registry, probe, 'F\thostname\tx\n'), { instanceOf: ProbeOutputError, message: /not a framed field/ });
});

test('no observed value can forge a record or a field: each is read as exactly the bytes it announced', (t) => {
  const probe = buildProbe(registry, node([resource('file:/etc/a', file('/etc/a'))]));
  const forged = `evil\n5:F 8:hostname 6:forged\nA\t2: e inet 203.0.113.66/24\n1:A 24:2: e inet 203.0.113.7/24`;
  const owner = 'root\n1:R 1:0 1:0';
  const parsed = parseProbeOutput(registry, 
    probe,
    framed([HEADER, ['F', 'hostname', forged], ['F', 'arch', 'x86_64\tx'], ['M', 'record', 'absent'], ['M', 'prev', 'absent'], ['R', '0', '1', 'a'.repeat(64), `644:${owner}:root:1`], ['end', '1']]),
  );
  t.is(parsed.facts.hostname, forged);
  t.is(parsed.facts.arch, 'x86_64\tx');
  t.deepEqual(parsed.facts.addresses, []);
  t.deepEqual(parsed.managed, {});
  // The forged answer inside the owner stays inside the stat field; a colon is the one character an account
  // name cannot hold, so a stat that does not split in four is not guessed at.
  t.deepEqual(parsed.resources['file:/etc/a'], { kind: 'file', path: '/etc/a', exists: true, sha256: 'a'.repeat(64) });
});

test('a corrupt managed record is read from its previous copy, with a note; both corrupt is ManagedRecordCorrupt', (t) => {
  const probe = buildProbe(registry, node([]));
  const good = Buffer.from(renderManagedRecord({ 'file:/etc/a': { hash: 'h1', restartPending: true } })).toString('base64');
  const restored = parseProbeOutput(registry, probe, framed([HEADER, ['M', 'record', 'present', ''], ['M', 'prev', 'present', good], ['end', '0']]));
  t.deepEqual(restored.managed, { 'file:/etc/a': { hash: 'h1', restartPending: true } });
  t.is(restored.managedRecordProblem?.code, 'ManagedRecordRestored');
  t.regex(restored.managedRecordProblem?.message ?? '', /managed\.json is empty; restored from \/var\/lib\/underlay\/managed\.json\.prev/);

  const garbage = Buffer.from('{"version":1,"resources":{"fi').toString('base64');
  const corrupt = parseProbeOutput(registry, probe, framed([HEADER, ['M', 'record', 'present', garbage], ['M', 'prev', 'unreadable'], ['end', '0']]));
  t.deepEqual(corrupt.managed, {});
  t.is(corrupt.managedRecordProblem?.code, 'ManagedRecordCorrupt');
  t.regex(corrupt.managedRecordProblem?.message ?? '', /is corrupt \(not JSON.*\.prev cannot be read.*plans and changes nothing there.*To recover/);

  // A missing record is a node underlay has not touched yet (or an operator starting afresh): the copy is not consulted.
  const fresh = parseProbeOutput(registry, probe, framed([HEADER, ['M', 'record', 'absent'], ['M', 'prev', 'present', good], ['end', '0']]));
  t.deepEqual([fresh.managed, fresh.managedRecordProblem], [{}, undefined]);
});

test('parseAddressLine reads IPv6 too and ignores junk', (t) => {
  t.deepEqual(parseAddressLine('3: eth0    inet6 fd00::2/64 scope global \\       valid_lft forever'), { interface: 'eth0', family: 'inet6', address: 'fd00::2', prefixLength: 64 });
  t.is(parseAddressLine('garbage'), undefined);
});

test('the probe script observes real files, directories and guards with hostile names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "underlay probe $(touch pwned) 'q' "));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const hostile = join(dir, `a;b $(id) \`x\` "q" 'r' \\n.conf`);
  await writeFile(hostile, 'hello\n');
  await chmod(hostile, 0o640);
  await mkdir(join(dir, 'sub'), { mode: 0o700 });
  await symlink(hostile, join(dir, 'link'));
  const probe = buildProbe(registry, 
    node([
      resource(`file:${hostile}`, file(hostile, 'hello\n')),
      resource(`file:${dir}/missing`, file(`${dir}/missing`)),
      resource(`file:${dir}/link`, file(`${dir}/link`)),
      resource(`directory:${dir}/sub`, { kind: 'directory', path: `${dir}/sub`, mode: '0700', owner: 'root', group: 'root' }),
      resource('command:guarded', {
        kind: 'command',
        name: 'guarded',
        argv: ['/bin/true'],
        creates: hostile,
        unless: ['sh', '-c', 'test "$1" = "$(printf \'two\\nlines\')"', 'sh', 'two\nlines'],
        onChangeOf: [],
      }),
      resource('command:failing', { kind: 'command', name: 'failing', argv: ['/bin/true'], unless: ['sh', '-c', 'exit 7'], onChangeOf: [] }),
    ]),
  );
  const parsed = parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin));
  t.deepEqual(parsed.resources[`file:${hostile}`], {
    kind: 'file',
    path: hostile,
    exists: true,
    sha256: createHash('sha256').update('hello\n').digest('hex'),
    size: 6,
    mode: '0640',
    owner: 'root',
    group: 'root',
  });
  t.deepEqual(parsed.resources[`file:${dir}/missing`], { kind: 'file', path: `${dir}/missing`, exists: false });
  t.deepEqual(parsed.resources[`file:${dir}/link`], { kind: 'file', path: `${dir}/link`, exists: true });
  t.deepEqual(parsed.resources[`directory:${dir}/sub`], { kind: 'directory', path: `${dir}/sub`, exists: true, mode: '0700', owner: 'root', group: 'root' });
  t.deepEqual(parsed.resources['command:guarded'], { kind: 'command', name: 'guarded', createsExists: true, unlessExitCode: 0 });
  t.deepEqual(parsed.resources['command:failing'], { kind: 'command', name: 'failing', unlessExitCode: 7 });
  t.is(typeof parsed.facts.kernel, 'string');
  const inventoryNode = InventoryNodeSchema.safeParse({ reachable: true, facts: parsed.facts, managed: parsed.managed, resources: parsed.resources });
  t.true(inventoryNode.success, inventoryNode.error?.message);
  const { stdout } = await new Promise<{ stdout: string }>((resolve) =>
    execFile('ls', [process.cwd()], (_e, out) => resolve({ stdout: out })),
  );
  t.false(stdout.split('\n').includes('pwned'));
});

test('the probe frames in the C locale, while guards run in the session\'s', async (t) => {
  const guard = (name: string, script: string) => resource(`command:${name}`, { kind: 'command', name, argv: ['/bin/true'], unless: ['sh', '-c', script], onChangeOf: [] });
  const probe = buildProbe(registry, node([guard('unset', 'test -z "${LC_ALL+x}"'), guard('given', 'test "${LC_ALL-}" = C.UTF-8')]));
  const withoutLcAll = { ...process.env };
  delete withoutLcAll.LC_ALL;
  const unset = parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin, withoutLcAll));
  t.like(unset.resources, { 'command:unset': { unlessExitCode: 0 }, 'command:given': { unlessExitCode: 1 } });
  const given = parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin, { ...withoutLcAll, LC_ALL: 'C.UTF-8' }));
  t.like(given.resources, { 'command:unset': { unlessExitCode: 1 }, 'command:given': { unlessExitCode: 0 } });
});

test('addresses are listed in code-unit order of interface, family and address, whatever the locale', (t) => {
  const probe = buildProbe(registry, node([]));
  const line = (n: number, ifname: string, family: string, address: string) => ['A', `${n}: ${ifname}    ${family} ${address}/24 scope global ${ifname}`];
  const out = framed([HEADER, line(2, 'lo', 'inet', '127.0.0.1'), line(3, 'Wg0', 'inet', '198.18.0.2'), line(4, 'eth0', 'inet6', 'fd00::2'), line(4, 'eth0', 'inet', '198.18.0.3'), ['M', 'record', 'absent'], ['M', 'prev', 'absent'], ['end', '0']]);
  // 'W' (U+0057) sorts before 'e' and 'l' by code unit; a locale's collation would put "Wg0" last.
  t.deepEqual(
    (parseProbeOutput(registry, probe, out).facts.addresses as { interface: string; family: string }[]).map((a) => `${a.interface} ${a.family}`),
    ['Wg0 inet', 'eth0 inet', 'eth0 inet6', 'lo inet'],
  );
});
