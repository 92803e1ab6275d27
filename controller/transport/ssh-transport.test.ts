import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SshTransport, type SshTransportOptions } from './ssh-transport.js';
import { fingerprint, parseHostKey } from './host-key.js';
import { makeKeyPair, startSshd, freePort, tempDir, type KeyPair, type TestSshd } from '../../test/support/sshd.js';
import type { HostKeyMismatch, TransportError, Unreachable } from './errors.js';

const run = promisify(execFile);
let dir: string;
let clientKey: KeyPair;
let strangerKey: KeyPair;
let a: TestSshd;
let b: TestSshd;
const transports: SshTransport[] = [];

function transport(extra: Partial<SshTransportOptions> = {}): SshTransport {
  const t = new SshTransport({ auth: { type: 'key-file', path: clientKey.privateKeyPath }, ...extra });
  transports.push(t);
  return t;
}

test.before(async () => {
  dir = await tempDir();
  clientKey = await makeKeyPair(dir, 'id_ed25519');
  strangerKey = await makeKeyPair(dir, 'stranger');
  [a, b] = await Promise.all([
    startSshd({ authorizedKeys: [clientKey.publicKey] }),
    startSshd({ authorizedKeys: [clientKey.publicKey] }),
  ]);
});

test.after.always(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await Promise.all([a?.stop(), b?.stop()]);
});

/** Lines a sshd logged since `from` (an offset into its log), to look at one test's connections only. */
function logSince(s: TestSshd, from: number): string {
  return s.log().slice(from);
}

test.serial('exec round trip, exit codes and stderr', async (t) => {
  const tr = transport();
  const node = a.endpoint('node-a');
  const ok = await tr.exec(node, ['sh', '-c', 'echo out; echo err >&2']);
  t.is(ok.code, 0);
  t.is(ok.stdout.toString(), 'out\n');
  t.is(ok.stderr.toString(), 'err\n');
  t.is((await tr.exec(node, ['sh', '-c', 'exit 42'])).code, 42);
  t.is((await tr.exec(node, ['false'])).code, 1);
  t.is((await tr.exec(node, ['/nonexistent/command'])).code, 127);
});

test.serial('a command killed by a signal reports code 255 and the signal', async (t) => {
  const tr = transport();
  const r = await tr.exec(a.endpoint('node-a'), ['sh', '-c', 'kill -TERM $$']);
  t.is(r.code, 255);
  t.is(r.signal, 'SIGTERM');
  t.regex(r.message ?? '', /SIGTERM/);
});

test.serial('stdin is written and closed; binary output is byte-exact', async (t) => {
  const tr = transport();
  const node = a.endpoint('node-a');
  const data = randomBytes(256 * 1024);
  const r = await tr.exec(node, ['cat'], { stdin: data });
  t.is(r.code, 0);
  t.true(r.stdout.equals(data));
  t.is((await tr.exec(node, ['wc', '-c'], { stdin: 'héllo' })).stdout.toString().trim(), '6');
  // Without stdin the command sees EOF at once rather than hanging.
  t.is((await tr.exec(node, ['cat'])).stdout.length, 0);
});

test.serial('hostile argument values arrive byte-identical and nothing is injected', async (t) => {
  const tr = transport();
  const node = a.endpoint('node-a');
  const work = join(dir, 'inject');
  await mkdir(work);
  const marker = join(work, 'pwned');
  const victim = join(work, 'victim');
  await writeFile(victim, 'still here');
  const values = [
    "'",
    '"',
    `'; touch ${marker}; '`,
    `"; touch ${marker}; "`,
    `$(touch ${marker})`,
    '$(id)',
    '`id`',
    `\`touch ${marker}\``,
    `;rm -rf ${victim}`,
    `;rm -rf /tmp/x`,
    `&& touch ${marker}`,
    `| touch ${marker}`,
    `a\ntouch ${marker}`,
    'tab\there',
    '*',
    '~',
    '~root',
    '-n',
    '--help',
    '',
    ' ',
    '$HOME ${HOME} $((1+1))',
    "\\'\\\\",
    '!!',
    'ünïcödé ✓ 日本語 🚀',
    '\r\n\u0001\u007f',
    `${'x'.repeat(5000)}'${'y'.repeat(5000)}"$(touch ${marker})`,
  ];
  t.true(values.at(-1)!.length > 10_000);
  for (const v of values) {
    const r = await tr.exec(node, ['printf', '%s', v]);
    t.is(r.code, 0, `exit code for ${JSON.stringify(v.slice(0, 40))}`);
    t.true(r.stdout.equals(Buffer.from(v, 'utf8')), `round trip of ${JSON.stringify(v.slice(0, 40))}`);
  }
  // The same values as many arguments of one command, NUL-separated on the way back.
  const all = await tr.exec(node, ['printf', '%s\\0', ...values]);
  t.deepEqual(all.stdout.toString('utf8').split('\0').slice(0, -1), values);
  t.false(existsSync(marker), 'no injected command ran');
  t.true(existsSync(victim), 'no injected rm ran');
});

test.serial('NUL in an argument is rejected before anything is sent', async (t) => {
  const tr = transport();
  await t.throwsAsync(tr.exec(a.endpoint('node-a'), ['printf', 'a\0b']), { instanceOf: TypeError });
  t.is(tr.stats().connectAttempts, 0);
});

test.serial('a mismatched pinned key is refused before authentication, naming node and both fingerprints', async (t) => {
  const tr = transport();
  const marker = join(dir, 'mismatch-ran');
  const from = a.log().length;
  // Pin b's key for a's address: what an interception would look like.
  const node = a.endpoint('node-a', { hostKey: b.hostKey });
  const err = await t.throwsAsync<HostKeyMismatch>(
    tr.exec(node, ['touch', marker]),
  );
  const expected = fingerprint(parseHostKey(b.hostKey).blob);
  const presented = fingerprint(parseHostKey(a.hostKey).blob);
  t.is(err?.code, 'HostKeyMismatch');
  t.is(err?.data.node, 'node-a');
  t.is(err?.data.expected, expected);
  t.is(err?.data.presented, presented);
  t.true(err?.message.includes('node-a') && err.message.includes(expected) && err.message.includes(presented));
  // Not retried: a different key is not a network blip.
  t.is(tr.stats().connectAttempts, 1);
  await waitFor(() => /Connection closed by .*\[preauth\]|Disconnected from .*\[preauth\]/.test(logSince(a, from)));
  const log = logSince(a, from);
  t.notRegex(log, /userauth|Accepted|Failed publickey|Postponed/i, 'sshd saw no authentication attempt');
  t.false(existsSync(marker), 'no command ran');
  // The same pattern does match when a connection authenticates, so the negative check above is not vacuous.
  const okFrom = a.log().length;
  await transport().exec(a.endpoint('node-a'), ['true']);
  t.regex(logSince(a, okFrom), /userauth/i);
  t.log(log.split('\n').filter((l) => /preauth/.test(l)).slice(-3).join('\n'));
});

test.serial('the host key a connection verified is told, for what must not go anywhere else (a secret)', async (t) => {
  const tr = transport();
  const node = a.endpoint('node-a');
  t.is(await tr.verifiedHostKey(node), fingerprint(parseHostKey(a.hostKey).blob));
  t.is(tr.stats().connectionsOpened, 1);
  await tr.exec(node, ['true']);
  t.is(tr.stats().connectionsOpened, 1, 'the connection it told about is the one execs use');
  const err = await t.throwsAsync<HostKeyMismatch>(tr.verifiedHostKey(a.endpoint('node-a', { hostKey: b.hostKey })));
  t.is(err?.code, 'HostKeyMismatch');
  t.is(err?.data.presented, fingerprint(parseHostKey(a.hostKey).blob));
});

test.serial('a node without a pinned key is refused without connecting', async (t) => {
  const tr = transport();
  const from = a.log().length;
  const err = await t.throwsAsync<TransportError>(tr.exec(a.endpoint('node-a', { hostKey: '' }), ['true']));
  t.is(err?.code, 'HostKeyMissing');
  t.is(err?.data.node, 'node-a');
  t.is(tr.stats().connectAttempts, 0);
  await new Promise((r) => setTimeout(r, 100));
  t.notRegex(logSince(a, from), /Connection from/);
});

test.serial('a garbled pinned key is HostKeyInvalid', async (t) => {
  const tr = transport();
  const [type, data] = a.hostKey.split(' ');
  const err = await t.throwsAsync<TransportError>(
    tr.exec(a.endpoint('node-a', { hostKey: `ssh-rsa ${data}` }), ['true']),
  );
  t.is(err?.code, 'HostKeyInvalid');
  t.is(type, 'ssh-ed25519');
});

test.serial('an unreachable port fails with Unreachable after bounded retries', async (t) => {
  const tr = transport({ connectAttempts: 3, backoffBaseMs: 50 });
  const port = await freePort();
  const started = Date.now();
  const err = await t.throwsAsync<Unreachable>(
    tr.exec(a.endpoint('gone', { port }), ['true']),
  );
  t.is(err?.code, 'Unreachable');
  t.is(err?.data.attempts, 3);
  t.regex(String(err?.message), /ECONNREFUSED/);
  t.is(tr.stats().connectAttempts, 3);
  t.true(Date.now() - started < 2_000);
});

test.serial('a server that accepts but never speaks times out per attempt, then Unreachable', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  try {
    const tr = transport({ connectAttempts: 2, backoffBaseMs: 20, connectTimeoutMs: 300 });
    const err = await t.throwsAsync<TransportError>(tr.exec(a.endpoint('mute', { port }), ['true']));
    t.is(err?.code, 'Unreachable');
    t.regex(String(err?.message), /handshake|[Tt]imed out/);
    t.is(sockets.length, 2, 'one TCP connection per attempt, no more');
  } finally {
    sockets.forEach((s) => s.destroy());
    silent.close();
  }
});

test.serial('an unknown client key is AuthFailed and not retried', async (t) => {
  const tr = new SshTransport({ auth: { type: 'key-file', path: strangerKey.privateKeyPath } });
  transports.push(tr);
  const from = a.log().length;
  const err = await t.throwsAsync<TransportError>(tr.exec(a.endpoint('node-a'), ['true']));
  t.is(err?.code, 'AuthFailed');
  t.is(tr.stats().connectAttempts, 1);
  t.notRegex(logSince(a, from), /Accepted publickey/);
});

test.serial('a missing key file is AuthFailed naming the path', async (t) => {
  const tr = new SshTransport({ auth: { type: 'key-file', path: join(dir, 'nope') } });
  transports.push(tr);
  const err = await t.throwsAsync<TransportError>(tr.exec(a.endpoint('node-a'), ['true']));
  t.is(err?.code, 'AuthFailed');
  t.regex(String((err?.cause as Error).message), /nope/);
});

test.serial('authenticates with a key held by ssh-agent', async (t) => {
  const socket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  try {
    await waitFor(() => existsSync(socket));
    // The socket file appears when the agent binds, a moment before it listens: retry while it refuses.
    for (let attempt = 1; ; attempt++) {
      try {
        await run('ssh-add', [clientKey.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
        break;
      } catch (error) {
        if (attempt >= 50 || !String((error as { stderr?: string }).stderr).includes('Connection refused')) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const tr = new SshTransport({ auth: { type: 'agent', socket } });
    transports.push(tr);
    t.is((await tr.exec(a.endpoint('node-a'), ['echo', 'via agent'])).stdout.toString(), 'via agent\n');
  } finally {
    agent.kill();
  }
});

test.serial('agent authentication without an agent socket is refused up front as SshAgentMissing', (t) => {
  const saved = process.env.SSH_AUTH_SOCK;
  delete process.env.SSH_AUTH_SOCK;
  try {
    t.throws(() => new SshTransport({ auth: { type: 'agent' } }), { code: 'SshAgentMissing', message: /SSH_AUTH_SOCK is not set/ });
  } finally {
    if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
  }
});

test.serial('one connection is reused across sequential execs; round-trip time', async (t) => {
  const tr = transport();
  const node = b.endpoint('node-b');
  const before = b.acceptedLogins();
  await tr.exec(node, ['true']);
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = process.hrtime.bigint();
    const r = await tr.exec(node, ['true']);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    t.is(r.code, 0);
  }
  t.is(tr.stats().connectionsOpened, 1);
  t.is(b.acceptedLogins() - before, 1, 'sshd saw exactly one login');
  samples.sort((x, y) => x - y);
  const median = ((samples[24] ?? 0) + (samples[25] ?? 0)) / 2;
  t.log(
    `exec round trip over a reused connection ('true'): median ${median.toFixed(2)} ms, ` +
      `min ${samples[0]?.toFixed(2)} ms, max ${samples[49]?.toFixed(2)} ms (n=50)`,
  );
});

test.serial('a dropped connection is replaced on the next exec; the interrupted command is not re-run', async (t) => {
  const tr = transport();
  const node = b.endpoint('node-b');
  const counter = join(dir, 'drop-count');
  await tr.exec(node, ['true']);
  // Kill this connection's sshd session process from inside: the command's parent.
  const err = await t.throwsAsync<TransportError>(
    tr.exec(node, ['sh', '-c', `echo x >> '${counter}'; kill -9 $PPID; sleep 5`]),
  );
  t.is(err?.code, 'ConnectionLost');
  const r = await tr.exec(node, ['cat', counter]);
  t.is(r.stdout.toString(), 'x\n', 'the interrupted command ran once');
  t.is(tr.stats().connectionsOpened, 2);
});

/** A TCP relay to `port` that can go silent: from then on it swallows every byte both ways, closing nothing. */
async function silenceableRelay(port: number): Promise<{ port: number; silence(): void; close(): void }> {
  let silent = false;
  const sockets: Socket[] = [];
  const server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    sockets.push(inbound, outbound);
    inbound.on('data', (d: Buffer) => silent || outbound.write(d));
    outbound.on('data', (d: Buffer) => silent || inbound.write(d));
    for (const [s, other] of [[inbound, outbound], [outbound, inbound]] as const) {
      s.on('error', () => other.destroy());
      s.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    silence: () => {
      silent = true;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test.serial('a silent network loss ends the command by the keepalive rule, saying so and naming no script', async (t) => {
  const keepaliveIntervalMs = 1_000;
  const keepaliveCountMax = 2;
  const relay = await silenceableRelay(a.port);
  t.teardown(() => relay.close());
  const tr = transport({ keepaliveIntervalMs, keepaliveCountMax });
  const direct = transport();
  const pidFile = join(dir, 'silent-pid');
  const running = tr.exec(a.endpoint('node-a', { port: relay.port }), ['sh', '-c', `echo $$ > '${pidFile}'; exec sleep 30.0417`], { timeoutMs: 60_000 });
  let pid = '';
  for (let i = 0; i < 100 && pid === ''; i++) {
    await new Promise((r) => setTimeout(r, 50));
    pid = (await direct.exec(a.endpoint('node-a'), ['cat', pidFile])).stdout.toString().trim();
  }
  t.teardown(() => direct.exec(a.endpoint('node-a'), ['kill', pid]).then(() => undefined));
  t.not(pid, '', 'the command started');

  relay.silence();
  const silencedAt = Date.now();
  const err = await t.throwsAsync<TransportError>(running);
  const elapsed = Date.now() - silencedAt;
  t.is(err?.code, 'ConnectionLost');
  t.is(err?.message, 'connection lost to node-a (no answer for 2 s)');
  // ssh2 probes every interval and gives up at the (count + 1)th tick after the last answer; one more
  // interval of slack absorbs timer delays on a loaded machine. The rule must not fire early either.
  t.true(elapsed >= keepaliveIntervalMs * keepaliveCountMax, `failed after ${elapsed} ms`);
  t.true(elapsed < keepaliveIntervalMs * (keepaliveCountMax + 2), `failed after ${elapsed} ms`);
  t.log(`silence to ConnectionLost: ${elapsed} ms (keepalive ${keepaliveIntervalMs} ms x ${keepaliveCountMax})`);
});

test.serial('a node gone silent while a channel opens is lost by the keepalive rule too, not retried into another error', async (t) => {
  const relay = await silenceableRelay(a.port);
  t.teardown(() => relay.close());
  const tr = transport({ keepaliveIntervalMs: 1_000, keepaliveCountMax: 2 });
  const node = a.endpoint('node-a', { port: relay.port });
  t.is((await tr.exec(node, ['true'])).code, 0, 'the connection is up');
  relay.silence();
  // The channel open of this exec is swallowed; only the dead-peer rule ends it.
  const err = await t.throwsAsync<TransportError>(tr.exec(node, ['true']));
  t.is(err?.code, 'ConnectionLost');
  t.is(err?.message, 'connection lost to node-a (no answer for 2 s)');
  t.is(tr.stats().connectionsOpened, 1, 'no reconnect was tried');
});

test.serial('a node the dead-peer rule lost while idle, and unreachable since, is still reported as that loss', async (t) => {
  const relay = await silenceableRelay(a.port);
  t.teardown(() => relay.close());
  const tr = transport({ keepaliveIntervalMs: 1_000, keepaliveCountMax: 2, connectAttempts: 2, backoffBaseMs: 50 });
  const node = a.endpoint('node-a', { port: relay.port });
  t.is((await tr.exec(node, ['true'])).code, 0, 'the connection is up');
  relay.silence();
  for (let i = 0; i < 200 && tr.stats().openConnections > 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.is(tr.stats().openConnections, 0, 'the keepalive rule dropped the idle connection');
  relay.close();
  const err = await t.throwsAsync<TransportError>(tr.exec(node, ['true']));
  t.is(err?.code, 'ConnectionLost');
  t.is(err?.message, 'connection lost to node-a (no answer for 2 s)');
  t.is(tr.stats().connectAttempts, 3, 'the reconnect was tried, and its failure kept as the cause');
});

test.serial('a command timeout names the program, not its script', async (t) => {
  const tr = transport();
  const err = await t.throwsAsync<TransportError>(tr.exec(b.endpoint('node-b'), ['sh', '-c', 'sleep 10.0322 # internal script text'], { timeoutMs: 300 }));
  t.is(err?.message, 'command sh on node node-b timed out after 0.3 s');
});

test.serial('a command timeout raises CommandTimeout and the connection stays usable', async (t) => {
  const tr = transport();
  const node = b.endpoint('node-b');
  const started = Date.now();
  const err = await t.throwsAsync<TransportError>(tr.exec(node, ['sleep', '10.0321'], { timeoutMs: 300 }));
  t.is(err?.code, 'CommandTimeout');
  t.true(Date.now() - started < 2_000);
  // OpenSSH refuses that signal for root sessions ("session signalling requires privilege separation"),
  // so the node's own deadline (`timeout -s KILL`, 1 s for a 300 ms timeout) must end the command.
  let left = await tr.exec(node, ['pgrep', '-f', 'sleep 10.0321']);
  for (let i = 0; i < 30 && left.code === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = await tr.exec(node, ['pgrep', '-f', 'sleep 10.0321']);
  }
  t.is(left.code, 1, 'the timed-out command no longer runs on the node');
  t.regex(b.log(), /req signal/, 'the KILL signal request reached sshd');
  t.is((await tr.exec(node, ['echo', 'after'])).stdout.toString(), 'after\n');
  t.is(tr.stats().connectionsOpened, 1);
});

test.serial('concurrent execs across nodes never exceed the bound', async (t) => {
  const limit = 3;
  const tr = transport({ maxConcurrent: limit });
  const nodes = [a.endpoint('node-a'), b.endpoint('node-b')];
  const script = 'date +%s%N; sleep 0.25; date +%s%N';
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => tr.exec(nodes[i % 2]!, ['sh', '-c', script])),
  );
  // Measured on the servers, not only by the transport's own counter.
  const events: Array<[bigint, number]> = [];
  for (const r of results) {
    const [start, end] = r.stdout.toString().trim().split('\n').map(BigInt);
    events.push([start!, 1], [end!, -1]);
  }
  events.sort((x, y) => (x[0] === y[0] ? x[1] - y[1] : x[0] < y[0] ? -1 : 1));
  let running = 0;
  let peak = 0;
  for (const [, d] of events) peak = Math.max(peak, (running += d));
  t.true(peak <= limit, `server-side peak ${peak}`);
  t.is(peak, limit, 'the bound is reached, so execs do run in parallel');
  t.is(tr.stats().maxExecsInFlight, limit);
  t.is(tr.stats().connectionsOpened, 2, 'one connection per node despite concurrent first use');
});

test.serial('more concurrent execs on one node than sshd MaxSessions all succeed', async (t) => {
  const tr = transport({ maxConcurrent: 30 });
  const node = a.endpoint('node-a');
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => tr.exec(node, ['echo', String(i)])));
  t.deepEqual(
    results.map((r) => r.stdout.toString().trim()),
    Array.from({ length: 30 }, (_, i) => String(i)),
  );
});

test.serial('jump host: exec through a pinned bastion to a pinned node', async (t) => {
  const tr = transport();
  const bastion = a.endpoint('bastion');
  const node = b.endpoint('behind-bastion', { via: bastion });
  const fromA = a.log().length;
  const r = await tr.exec(node, ['sh', '-c', 'echo "$SSH_CONNECTION"']);
  t.is(r.code, 0);
  t.regex(a.log().slice(fromA), new RegExp(`direct-tcpip.*port ${b.port}|port ${b.port}.*direct-tcpip|target 127\\.0\\.0\\.1 port ${b.port}`));
  for (let i = 0; i < 5; i++) await tr.exec(node, ['true']);
  t.is(tr.stats().connectionsOpened, 2, 'one bastion connection and one tunnelled node connection, both reused');

  const wrongBastion = transport();
  const e1 = await t.throwsAsync<TransportError>(
    wrongBastion.exec(b.endpoint('behind', { via: a.endpoint('bastion', { hostKey: b.hostKey }) }), ['true']),
  );
  t.is(e1?.code, 'HostKeyMismatch');
  t.is(e1?.data.node, 'bastion');

  const wrongNode = transport();
  const e2 = await t.throwsAsync<TransportError>(
    wrongNode.exec(b.endpoint('behind', { hostKey: a.hostKey, via: bastion }), ['true']),
  );
  t.is(e2?.code, 'HostKeyMismatch');
  t.is(e2?.data.node, 'behind');
});

test.serial('close() ends every connection', async (t) => {
  const tr = transport();
  await tr.exec(a.endpoint('node-a'), ['true']);
  await tr.exec(b.endpoint('node-b'), ['true']);
  t.is(tr.stats().openConnections, 2);
  await tr.close();
  t.is(tr.stats().openConnections, 0);
  await t.throwsAsync(tr.exec(a.endpoint('node-a'), ['true']), { message: /closed/ });
});

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
