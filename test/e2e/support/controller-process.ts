/**
 * The real `underlay controller` as a child process: its configuration written for an e2e site, its JSON
 * log lines read as they come, its API called with the token from the secret store, and signals sent to
 * it. Waits are bounded and poll for what the test wants to see, never for a length of time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { E2ESite } from './e2e-site.js';

// Not imported from e2e-site.ts, which loads ava: benchmarks run the controller through this file too.
const underlayBin = path.resolve(import.meta.dirname, '../../../bin/underlay.js');

export const API_TOKEN = 'e2e-controller-api-token-7c1d2b';

export interface ControllerProcess {
  child: ChildProcess;
  /** Every JSON log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** Everything on stdout and stderr, raw. */
  output(): string;
  /** Resolves with the first log line `match` accepts (bounded: 3 minutes). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  api(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Polls GET `apiPath` until `match` holds (bounded: 3 minutes). */
  waitForApi(apiPath: string, match: (body: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  /** Sends `signal`; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** The token file in the site's secret store, and a configuration naming the site's state and secrets. */
export async function writeControllerConfig(site: Pick<E2ESite, 'stateDir' | 'secretsDir'>, sites: string, options: { log?: 'debug' | 'info'; extra?: string[] } = {}): Promise<string> {
  const file = path.join(site.stateDir, '..', 'controller.yaml');
  await writeFile(path.join(site.secretsDir, 'controller-api-token'), `${API_TOKEN}\n`, { mode: 0o600 });
  // A port free now, written down, so the CLI (underlay approve --config) finds the API too.
  const text = ['apiVersion: underlay.dev/v1alpha1', 'kind: ControllerConfig', `stateDir: ${site.stateDir}`, `secretsDir: ${site.secretsDir}`, `api: {listen: "127.0.0.1:${await freePort()}"}`, 'shutdownTimeout: 2m', `log: {level: ${options.log ?? 'info'}}`, ...(options.extra ?? []), 'sites:', sites].join('\n');
  await writeFile(file, text);
  return file;
}

/** A loopback port free now (for a listener the configuration names). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startController(configFile: string, env: NodeJS.ProcessEnv = process.env): ControllerProcess {
  const child = spawn(process.execPath, [underlayBin, 'controller', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const logs: Record<string, unknown>[] = [];
  let raw = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    raw += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.on('data', (d: Buffer) => (raw += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));

  const waitForLog: ControllerProcess['waitForLog'] = async (match, what) => {
    for (let i = 0; i < 1800; i++) {
      const found = logs.find(match);
      if (found) return found;
      if (ended) throw new Error(`the controller exited before ${what}:\n${raw}`);
      await sleep(100);
    }
    throw new Error(`no ${what} in 3 minutes:\n${raw}`);
  };
  let url: string | undefined;
  const api: ControllerProcess['api'] = async (method, apiPath, body) => {
    url ??= String((await waitForLog((l) => l.msg === 'API listening', 'the API listening')).api);
    const response = await fetch(`${url}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    child,
    logs,
    output: () => raw,
    waitForLog,
    api,
    async waitForApi(apiPath, match, what) {
      for (let i = 0; i < 1800; i++) {
        const answer = await api('GET', apiPath);
        if (match(answer.body)) return answer.body;
        if (ended) throw new Error(`the controller exited before ${what}:\n${raw}`);
        await sleep(100);
      }
      throw new Error(`no ${what} in 3 minutes:\n${raw}`);
    },
    async stop(signal = 'SIGTERM') {
      if (!ended) child.kill(signal);
      return exited;
    },
    exited,
  };
}
