/**
 * The gates' reach from the controller: a TCP connect (node:net), an HTTP(S) GET (node:http, node:https with
 * only the pinned CA trusted when the gate pins one), and argv on a node over the transport.
 */
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UnderlayError } from '../model/errors.js';
import type { NodeEndpoint, Transport } from '../transport/transport.js';
import { httpVerdict, type GateAttempt, type GateProbes, type HttpCheck } from './gate-runner.js';

/** More of a body than a gate could want to match; the rest is not read. */
const BODY_LIMIT = 64 * 1024;

function tcpConnect(target: { host: string; port: number }, timeoutMs: number): Promise<GateAttempt> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (attempt: GateAttempt): void => {
      socket.destroy();
      resolve(attempt);
    };
    socket.setTimeout(timeoutMs, () => done({ healthy: false, output: `no connection to ${target.host}:${target.port} within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ healthy: true, output: 'connected' }));
    socket.once('error', (e) => done({ healthy: false, output: `no connection to ${target.host}:${target.port}: ${e.message}` }));
  });
}

function httpGet(check: HttpCheck, timeoutMs: number): Promise<GateAttempt> {
  return new Promise((resolve) => {
    const https = check.url.startsWith('https://');
    // A pinned CA is the only one trusted: the system's store is not consulted for this gate.
    const tls = https && check.caCertificate !== undefined ? { ca: check.caCertificate } : {};
    const req = (https ? httpsRequest : httpRequest)(check.url, { method: 'GET', timeout: timeoutMs, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < BODY_LIMIT) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => resolve(httpVerdict(check, res.statusCode ?? 0, Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8'))));
      res.on('error', (e) => resolve({ healthy: false, output: `GET ${check.url}: ${e.message}` }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ healthy: false, output: `GET ${check.url}: ${e.message}` }));
    req.end();
  });
}

export function controllerGateProbes(transport: Transport, endpointOf: (node: string) => NodeEndpoint | undefined): GateProbes {
  return {
    tcp: tcpConnect,
    http: httpGet,
    async exec(node, argv, options) {
      const endpoint = endpointOf(node);
      if (!endpoint) throw new UnderlayError({ code: 'NoApplyTarget', message: `no node named ${node} that apply can reach`, data: { target: node } });
      return transport.exec(endpoint, argv, { timeoutMs: options.timeoutMs, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
    },
  };
}
