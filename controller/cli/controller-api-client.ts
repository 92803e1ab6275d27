/**
 * How the CLI talks to a running controller: its API URL and bearer token, from the controller's
 * configuration file (api.listen, api.tokenSecret in its secret store), or given (--api,
 * UNDERLAY_API_TOKEN). The token is sent only to that URL and never printed.
 */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listenAddress, parseControllerConfig } from '../daemon/controller-config.js';
import { tokenFromSecret } from '../server/bearer-token.js';
import { UnderlayError } from '../model/errors.js';
import { UsageError, type CliIO } from './io.js';
import { secretStoreOf } from './state-options.js';

export interface ApiClientOptions {
  config?: string;
  api?: string;
}

export function addApiClientOptions(command: Command): Command {
  return command
    .option('--config <file>', "the controller's configuration: its API address and token secret")
    .addOption(new Option('--api <url>', 'the controller API (default: from --config)').env('UNDERLAY_API_URL'));
}

interface Endpoint {
  url: string;
  token: string;
}

async function endpointOf(options: ApiClientOptions, io: CliIO): Promise<Endpoint> {
  const config = options.config ? parseControllerConfig(options.config, await readFile(path.resolve(io.cwd, options.config), 'utf8')) : undefined;
  let url = options.api;
  if (!url && config) {
    const { host, port } = listenAddress(config.api.listen);
    url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  if (!url) throw new UsageError('say which controller: --config FILE (its configuration) or --api URL');
  const envToken = io.env.UNDERLAY_API_TOKEN;
  if (envToken) return { url, token: envToken.trim() };
  if (!config) throw new UsageError('the API token: set UNDERLAY_API_TOKEN, or give --config so it is read from the controller\'s secret store');
  const store = secretStoreOf({ ...(config.stateDir ? { stateDir: config.stateDir } : {}), ...(config.secretsDir ? { secretsDir: config.secretsDir } : {}) }, io);
  return { url, token: tokenFromSecret(await store.read(config.api.tokenSecret)).toString('utf8') };
}

/** POSTs to the API; the parsed answer and its status. */
export async function callControllerApi(options: ApiClientOptions, io: CliIO, apiPath: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const { url, token } = await endpointOf(options, io);
  let response: Response;
  try {
    response = await fetch(new URL(apiPath, url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new UnderlayError({ code: 'ControllerUnreachable', message: `the controller API at ${url} cannot be reached (${cause}): is the controller running, and is this its address?`, data: { url } });
  }
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { error: text };
  }
  return { status: response.status, body: parsed };
}
