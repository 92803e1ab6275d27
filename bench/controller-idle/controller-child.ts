/**
 * The built `underlay controller` as a child process, its JSON log lines parsed as they come. The e2e
 * helper (test/e2e/support/controller-process.ts) does the same but imports ava through e2e-site.ts, and a
 * benchmark is not an ava test file; this is the part of it a benchmark needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const underlayBin = path.resolve(import.meta.dirname, '../../bin/underlay.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ControllerChild {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  output(): string;
  /** The first log line `match` accepts, polled; bounded by `timeoutMs`. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** `nodeArgs` go to Node itself, before the script (e.g. --cpu-prof to profile the controller). */
export function startControllerChild(configFile: string, nodeArgs: string[] = []): ControllerChild {
  const child = spawn(process.execPath, [...nodeArgs, underlayBin, 'controller', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  // Only the tail of the raw output is kept: an hour of log lines should not grow the benchmark's own memory.
  let tail = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-20_000);
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    child,
    logs,
    output: () => tail,
    async waitForLog(match, what, timeoutMs = 20 * 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = logs.find(match);
        if (found) return found;
        if (ended) throw new Error(`the controller exited before ${what}:\n${tail}`);
        await sleep(200);
      }
      throw new Error(`no ${what} in ${timeoutMs / 1000} s:\n${tail}`);
    },
    async stop() {
      if (!ended) child.kill('SIGTERM');
      return exited;
    },
  };
}
