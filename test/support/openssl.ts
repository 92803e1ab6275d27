/**
 * The real `openssl` for the PKI tests: it makes the requests a node would make and checks what the CA signs,
 * so the CA is judged by the tool operators use, not by itself. Argv only, never a shell string.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type TestKey = 'ec' | 'rsa-2048' | 'rsa-1024';

export interface CsrOptions {
  key?: TestKey;
  subject?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** More `-addext` values, e.g. `basicConstraints=critical,CA:TRUE`. */
  extensions?: string[];
}

export function openssl(args: string[], input?: string | Buffer): string {
  return opensslBytes(args, input).toString('utf8');
}

/** For DER in or out: bytes, never text. Throws (with openssl's stderr) when openssl fails. */
export function opensslBytes(args: string[], input?: string | Buffer): Buffer {
  return execFileSync('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

/** What `openssl req -verify` says of a request: it exits 0 either way (OpenSSL 3.0) and tells on stderr. */
export function opensslVerifiesRequest(der: Buffer): boolean {
  const result = spawnSync('openssl', ['req', '-verify', '-noout', '-inform', 'DER'], { input: der, encoding: 'utf8' });
  return result.status === 0 && /verify OK/.test(result.stderr);
}

/** A temporary directory, removed when the callback returns. */
export function withTempDir<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'underlay-pki-'));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KEY_ARGS: Record<TestKey, string[]> = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'rsa-2048': ['-newkey', 'rsa:2048'],
  'rsa-1024': ['-newkey', 'rsa:1024'],
};

/** A new key and a CSR for it, as a node makes them with `openssl req`; the key is returned for TLS checks. */
export function makeCsr(options: CsrOptions = {}): { csr: string; key: string } {
  return withTempDir((dir) => {
    const sans = [...(options.dnsNames ?? []).map((n) => `DNS:${n}`), ...(options.ipAddresses ?? []).map((a) => `IP:${a}`)];
    const addext = [...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []), ...(options.extensions ?? [])].flatMap((e) => ['-addext', e]);
    const keyFile = path.join(dir, 'key.pem');
    const csr = openssl(['req', '-new', '-nodes', ...KEY_ARGS[options.key ?? 'ec'], '-keyout', keyFile, '-subj', options.subject ?? '/CN=node1', ...addext]);
    return { csr, key: readFileSync(keyFile, 'utf8') };
  });
}

/** Runs openssl with these files written first (name -> content); `{dir}` in args is the directory. */
export function opensslWith(files: Record<string, string>, args: string[]): string {
  return withTempDir((dir) => {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    return openssl(args.map((a) => a.replaceAll('{dir}', dir)));
  });
}
