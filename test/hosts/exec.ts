import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argv without a shell; never throws on a non-zero exit so callers decide what is fatal. */
export function run(argv: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('run: empty argv');
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        let code = 0;
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: number | string; signal?: string; killed?: boolean };
          code = typeof e.code === 'number' ? e.code : 1;
          if (e.killed) stderr += `\n[killed after ${opts.timeoutMs ?? 60_000} ms]`;
          else if (typeof e.code === 'string') stderr += `\n[${e.code}: ${e.message}]`;
        }
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Like run() but a non-zero exit is an error carrying the command's stderr. */
export async function runOk(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`command failed (${r.code}): ${argv.join(' ')}\n${r.stderr.trim()}`);
  return r.stdout;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until check() returns a value (not undefined), bounded by timeoutMs. */
export async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves true when something accepts TCP on host:port and sends an SSH banner. */
export function sshBannerSeen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let buf = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.startsWith('SSH-2.0-')) done(true);
      else if (buf.length >= 8) done(false);
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

/** Starts a long-lived detached process (a node's init) and returns its pid. */
export function spawnDetached(argv: string[], logFd: number): number {
  const [file, ...args] = argv;
  if (!file) throw new Error('spawnDetached: empty argv');
  // detached + own session: the node must outlive a CLI 'up' and must not get the test runner's terminal signals.
  const child = spawn(file, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  if (child.pid === undefined) throw new Error(`failed to spawn ${file}`);
  child.unref();
  return child.pid;
}
