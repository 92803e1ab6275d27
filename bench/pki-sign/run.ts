/**
 * bench/pki-sign: certificates per second, counting everything the CA does for one node's request: parse
 * the CSR (PEM), verify its self-signature, check it under the policy, build and sign the certificate.
 *
 *   npm run bench:pki -- [--seconds 3] [--nodes 50] [--openssl 40] [--workers 2]
 *
 * For ECDSA P-256 (an EC CA signing EC requests) and RSA-2048 (RSA CA, RSA requests): in one thread, then in
 * --workers worker threads at once (one per core); and `openssl x509 -req` signing the same CSRs with the same
 * CA key in the same run, one process per certificate as an operator would, one at a time and --workers at a
 * time. The CSRs are made by `openssl req` first (--nodes of them, signed round-robin). Prints the 1-minute
 * load average around each measurement: on 2 shared cores, read every figure next to it.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { systemClock } from '../../controller/clock.js';
import { CertificateAuthority, createCertificateAuthority } from '../../controller/pki/certificate-authority.js';
import { systemRandom } from '../../controller/pki/certificate-builder.js';
import { DEFAULT_ISSUANCE_POLICY } from '../../controller/pki/policy.js';
import { type BenchKey, nodeRequests, type NodeRequest } from './node-requests.js';
import { type CaMaterial, processCpu, signFor } from './sign-loop.js';

function option(name: string, fallback: string): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback);
}

const seconds = option('seconds', '3');
const nodeCount = option('nodes', '50');
const opensslCount = option('openssl', '40');
const workers = option('workers', '2');
const load = (): string => loadavg()[0]!.toFixed(1);
const run = promisify(execFile);

/** Certificates per wall second and per CPU second of the process, all workers together. */
async function inWorkers(ca: CaMaterial, requests: NodeRequest[]): Promise<{ rate: number; perCpu: number }> {
  // tsx's loader is per thread on Node 20 (--import in execArgv does not reach a worker): the worker registers it first.
  const entry = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`;
  const threads = Array.from({ length: workers }, () => new Worker(entry, { eval: true, workerData: { ca, requests, ms: seconds * 1000 } }));
  await Promise.all(threads.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))));
  const start = performance.now();
  const cpu = processCpu();
  const results = await Promise.all(threads.map((w) => new Promise<{ signed: number }>((resolve, reject) => w.once('message', resolve).once('error', reject).postMessage('go'))));
  const elapsed = (performance.now() - start) / 1000;
  const cpuSeconds = processCpu() - cpu;
  await Promise.all(threads.map((w) => w.terminate()));
  const signed = results.reduce((n, r) => n + r.signed, 0);
  return { rate: signed / elapsed, perCpu: signed / cpuSeconds };
}

/** `openssl x509 -req` per CSR, `concurrency` processes at a time; certificates per second. */
async function withOpenssl(dir: string, requests: NodeRequest[], concurrency: number): Promise<number> {
  const extensions = path.join(dir, 'ext.cnf');
  writeFileSync(extensions, '[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  const files = requests.slice(0, opensslCount).map((r, i) => {
    const file = path.join(dir, `${i}.csr`);
    writeFileSync(file, r.csr);
    return file;
  });
  let next = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      // -copy_extensions copies the requested SANs; openssl checks no policy, so it does less than the CA here.
      await run('openssl', ['x509', '-req', '-in', file, '-CA', path.join(dir, 'ca.pem'), '-CAkey', path.join(dir, 'ca.key'), '-set_serial', `0x${systemRandom.bytes(16).toString('hex')}`, '-days', '30', '-sha256', '-copy_extensions', 'copy', '-extfile', extensions, '-extensions', 'leaf', '-out', `${file}.pem`]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return files.length / ((performance.now() - start) / 1000);
}

const rows: string[] = [];
for (const key of ['ec', 'rsa'] as BenchKey[]) {
  const requests = nodeRequests(key, nodeCount);
  const created = createCertificateAuthority({ commonName: `bench CA ${key}`, keyType: key === 'ec' ? 'ecdsa-p256' : 'rsa-2048', validityDays: 365, clock: systemClock, random: systemRandom });
  const ca: CaMaterial = { certificatePem: created.certificatePem, keyPem: created.keyPem };
  // A check before timing: openssl must accept what is measured.
  const sample = new CertificateAuthority({ certificatePem: ca.certificatePem, key: createPrivateKey(ca.keyPem), policy: DEFAULT_ISSUANCE_POLICY, clock: systemClock, random: systemRandom }).sign(requests[0]!);
  if (!sample.issued) throw new Error('the bench CA refused its first request');
  const dir = mkdtempSync(path.join(tmpdir(), 'underlay-pki-bench-'));
  try {
    writeFileSync(path.join(dir, 'ca.pem'), ca.certificatePem);
    writeFileSync(path.join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(path.join(dir, 'sample.pem'), sample.certificate.pem);
    await run('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'sample.pem')]);

    const load0 = load();
    signFor(ca, requests, 300);
    const single = signFor(ca, requests, seconds * 1000);
    const singleRate = single.signed / single.seconds;
    const load1 = load();
    const parallel = await inWorkers(ca, requests);
    const load2 = load();
    const opensslOne = await withOpenssl(dir, requests, 1);
    const opensslMany = await withOpenssl(dir, requests, workers);
    const load3 = load();
    const label = key === 'ec' ? 'ECDSA P-256' : 'RSA-2048';
    rows.push(
      `| ${label} | ${singleRate.toFixed(0)} | ${(single.signed / single.cpuSeconds).toFixed(0)} | ${parallel.rate.toFixed(0)} | ${parallel.perCpu.toFixed(0)} | ${opensslOne.toFixed(1)} | ${opensslMany.toFixed(1)} | ${(singleRate / opensslOne).toFixed(0)}x | ${(parallel.rate / opensslMany).toFixed(0)}x | ${load0} / ${load1} / ${load2} / ${load3} |`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(
  [
    `Node ${process.version}, ${seconds} s per measurement, ${nodeCount} CSRs signed round-robin, openssl on ${opensslCount} of them, ${workers} worker threads.`,
    '',
    `| key | underlay 1 thread /s | per CPU s | underlay ${workers} workers /s | per CPU s | openssl x509 -req 1 at a time /s | openssl ${workers} at a time /s | ratio 1 | ratio ${workers} | load avg 1m (start / after 1 thread / after workers / after openssl) |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
  ].join('\n'),
);
