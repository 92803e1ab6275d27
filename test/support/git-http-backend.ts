import { execFileSync, spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface GitHttpServer {
  /** Base URL; a bare repository `<root>/site.git` is served at `${url}/site.git`. */
  url: string;
  /** Every request seen, as "METHOD /path?query", so tests can tell a clone from an incremental fetch. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves bare repositories under `projectRoot` with the real `git http-backend` CGI, so the client is
 * tested against Git's own smart-HTTP server rather than a mock of it.
 */
export async function startGitHttpBackend(projectRoot: string): Promise<GitHttpServer> {
  const backend = path.join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    serveCgi(backend, projectRoot, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function serveCgi(backend: string, projectRoot: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  // Without CONTENT_LENGTH (chunked upload) http-backend reads the body to EOF, which is what we stream.
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  // http-backend inflates gzip bodies itself when told; the git CLI gzips large fetch negotiations.
  if (req.headers['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

  const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined); // the CGI may exit before reading a body it rejects
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = findHeaderEnd(head);
    if (end === undefined) return;
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.start).toString('latin1'));
    res.writeHead(status.code, status.text, headers);
    headersSent = true;
    const rest = head.subarray(end.bodyStart);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git-http-backend exited ${code ?? 'by signal'} without headers: ${stderr}`);
      return;
    }
    res.end();
  });
}

function findHeaderEnd(buf: Buffer): { start: number; bodyStart: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { start: crlf, bodyStart: crlf + 4 };
  if (lf !== -1) return { start: lf, bodyStart: lf + 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: { code: number; text: string }; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  let status = { code: 200, text: 'OK' };
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const match = /^(\d{3})\s*(.*)$/.exec(value);
      if (match) status = { code: Number(match[1]), text: match[2] ?? '' };
    } else {
      headers[name] = value;
    }
  }
  return { status, headers };
}
