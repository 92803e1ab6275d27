/**
 * Issuing a certificate end to end on this machine (the node-side scripts run by the local sh, with the
 * local openssl; test/e2e/certificates.test.ts does it on real test hosts): the key made "on the node" and
 * never sent, the CSR checked and signed, the serial journalled, the files installed, and a re-probe that
 * plans nothing. A tampered CSR is refused and nothing signed.
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { steppingClock } from '../../controller/clock.js';
import { createCertificateAuthority } from '../../controller/pki/certificate-authority.js';
import { systemRandom } from '../../controller/pki/certificate-builder.js';
import { StoreIssuer } from '../../controller/pki/certificate-issuer.js';
import { DirectorySecretStore } from '../../controller/secrets/secret-store.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import type { Transport } from '../../controller/transport/transport.js';
import { change } from '../../test/support/fake-apply.js';
import { node as desiredNode, resource } from '../../test/support/build-desired.js';
import { openssl } from '../../test/support/openssl.js';
import type { NodeApplyContext } from '../kind-effects.js';
import { buildProbe } from '../probe/build-probe.js';
import { parseProbeOutput } from '../probe/parse-probe-output.js';
import { registry } from '../registry.js';
import { runLocally } from '../../test/support/local-transport.js';
import { applyCertificate } from './apply.js';
import { diffCertificate } from './diff.js';
import type { DesiredCertificate, ObservedCertificate } from './schema.js';

const work = mkdtempSync(join(tmpdir(), 'underlay-certificate-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const clock = steppingClock('2026-12-01T10:00:00.000Z', 0);
const CA = createCertificateAuthority({ commonName: 'lab CA', keyType: 'ecdsa-p256', validityDays: 365, clock, random: systemRandom });
const secrets = new DirectorySecretStore(join(work, 'secrets'));
test.before(() => secrets.create('lab-ca-key', CA.keyPem));

interface Sent {
  argv: readonly string[];
  stdin: string;
  stdout: string;
}

/** This machine as the node, with `path` first in PATH (a wrapper openssl), recording everything that crosses the "wire". */
function recordingTransport(sent: Sent[], path?: string): Transport {
  const env = path === undefined ? process.env : { ...process.env, PATH: `${path}:${process.env.PATH ?? ''}` };
  return {
    exec: (_node, argv, options) =>
      new Promise((resolve) => {
        const child = execFile(argv[0]!, argv.slice(1), { encoding: 'buffer', env }, (error, stdout, stderr) => {
          sent.push({ argv, stdin: String(options?.stdin ?? ''), stdout: stdout.toString('utf8') });
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 255) : 0, stdout, stderr });
        });
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(options?.stdin ?? '');
      }),
    close: () => Promise.resolve(),
  };
}

function certificate(dir: string, extra: Partial<DesiredCertificate> = {}): DesiredCertificate {
  return {
    kind: 'certificate', name: 'peer', ca: 'lab', commonName: 'n1', dnsNames: ['n1.lab.example.net'], ipAddresses: ['198.18.0.11'], usages: ['peer'],
    keyPath: join(dir, 'peer.key'), certPath: join(dir, 'peer.crt'), caBundlePath: join(dir, 'ca.crt'),
    owner: 'root', group: 'root', mode: '0644', keyType: 'ecdsa-p256', validityDays: 30, rotationPolicy: 'Always',
    issuance: {
      authority: { name: 'lab', certificate: CA.certificatePem, keySecret: 'lab-ca-key' },
      policy: { maxValidityDays: 90, keyTypes: ['ecdsa-p256', 'rsa-2048'], usages: ['server', 'client'] },
      entitlement: { node: 'n1', dnsNames: ['n1', 'n1.lab.example.net'], ipAddresses: ['198.18.0.11', '198.18.0.14'] },
    },
    ...extra,
  };
}

async function observe(spec: DesiredCertificate): Promise<ObservedCertificate> {
  const probe = buildProbe(registry, desiredNode('n1', [resource(spec)]));
  return parseProbeOutput(registry, probe, await runLocally(probe.argv, probe.stdin)).resources['certificate:peer'] as ObservedCertificate;
}

function setUp(path?: string) {
  // A hostile directory name: every value reaches the node's scripts as an argument, never as shell text.
  const dir = mkdtempSync(join(work, "node $(touch pwned) 'q' \"d\";x-"));
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock });
  const issued = store.issuedCertificates();
  const sent: Sent[] = [];
  const ctx: NodeApplyContext = {
    transport: recordingTransport(sent, path),
    node: { name: 'n1', address: '127.0.0.1', port: 22, user: 'root', hostKey: 'x' },
    serviceManager: 'runit',
    issuer: new StoreIssuer({ secrets, store: issued, clock, random: systemRandom }),
  };
  return { dir, issued, sent, ctx };
}

const plan = (spec: DesiredCertificate, observed: ObservedCertificate | undefined, managed = true) =>
  diffCertificate({ desired: spec, observed, managedHash: managed ? 'h' : undefined, desiredHash: () => 'h', serviceManager: 'runit', now: '2026-12-02T00:00:00.000Z' });

test('apply issues from a key made on the node; a re-probe plans nothing; a SAN change reissues with a new key', async (t) => {
  const { dir, issued, sent, ctx } = setUp();
  const spec = certificate(dir);
  const created = plan(spec, await observe(spec), false)!;
  t.is(created.action, 'create');
  const outcome = await applyCertificate(ctx, change('n1/certificate:peer', { action: 'create', after: created.after }));
  t.regex(outcome.message ?? '', /^serial [0-9a-f]{32}, valid until 2026-12-31T10:00:00\.000Z$/);

  t.is(statSync(spec.keyPath).mode & 0o777, 0o600);
  t.is(statSync(spec.certPath).mode & 0o777, 0o644);
  t.is(readFileSync(spec.caBundlePath!, 'utf8'), CA.certificatePem);
  t.regex(openssl(['verify', '-CAfile', spec.caBundlePath!, spec.certPath]), /: OK/);
  const text = openssl(['x509', '-noout', '-text', '-in', spec.certPath]);
  t.regex(text, /DNS:n1\.lab\.example\.net, IP Address:198\.18\.0\.11/);
  t.regex(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  t.regex(text, /Public-Key: \(256 bit\)/);
  t.is(openssl(['x509', '-noout', '-pubkey', '-in', spec.certPath]), openssl(['pkey', '-pubout', '-in', spec.keyPath]));

  // The key never crossed: no argument, stdin or output of any command sent to the node holds it.
  const key = readFileSync(spec.keyPath, 'utf8');
  t.regex(key, /PRIVATE KEY/);
  t.false(sent.some((s) => [...s.argv, s.stdin, s.stdout].some((v) => v.includes('PRIVATE KEY'))));

  const records = await issued.issued();
  t.is(records.length, 1);
  t.like(records[0], { serial: outcome.message?.slice(7, 39), node: 'n1', certificate: 'peer', authority: 'lab', revokedAt: null });
  t.not(records[0]!.installedAt, null);

  const observed = await observe(spec);
  t.like(observed, { exists: true, commonName: 'n1', dnsNames: ['n1.lab.example.net'], ipAddresses: ['198.18.0.11'], keyType: 'ecdsa-p256', issuer: 'CN=lab CA', caBundleSha256: observed.caBundleSha256 });
  t.is(observed.nodeKeyFingerprint, observed.keyFingerprint);
  t.is(plan(spec, observed), null, 'planned again, nothing to do');

  const moved = certificate(dir, { ipAddresses: ['198.18.0.11', '198.18.0.14'] });
  const reissue = plan(moved, observed)!;
  t.is(reissue.reason, 'reissue: SAN 198.18.0.14 added');
  await applyCertificate(ctx, change('n1/certificate:peer', { action: 'update', after: reissue.after }));
  const again = await observe(moved);
  t.deepEqual(again.ipAddresses, ['198.18.0.11', '198.18.0.14']);
  t.not(again.keyFingerprint, observed.keyFingerprint, 'rotationPolicy Always: a new key');
  t.is(plan(moved, again), null);
  t.throws(() => statSync(join(process.cwd(), 'pwned')), { code: 'ENOENT' });
  t.throws(() => statSync(join(work, 'pwned')), { code: 'ENOENT' });
  // The first is revoked as superseded; both serials are on record.
  const after = await issued.issued();
  t.is(after.length, 2);
  t.deepEqual(after.map((r) => r.revokedAt !== null).sort(), [false, true]);
});

test('a CSR tampered on the node (a wrapper openssl adding a SAN) is refused with the reason, nothing signed', async (t) => {
  const wrappers = mkdtempSync(join(work, 'wrapper-'));
  const real = execFileSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(wrappers, 'openssl'),
    `#!/bin/sh\nif [ "$1" = req ]; then\n  for a; do shift; case $a in subjectAltName=*) a="$a,IP:198.18.0.99";; esac; set -- "$@" "$a"; done\nfi\nexec ${real} "$@"\n`,
  );
  chmodSync(join(wrappers, 'openssl'), 0o755);
  const { dir, issued, ctx } = setUp(wrappers);
  const spec = certificate(dir);
  const created = plan(spec, undefined, false)!;
  const error = await t.throwsAsync(applyCertificate(ctx, change('n1/certificate:peer', { action: 'create', after: created.after })));
  t.like(error, { code: 'CertificateRefused' });
  t.regex(error?.message ?? '', /IP address 198\.18\.0\.99 is requested but the certificate does not declare it \(CsrNameNotDeclared\)/);
  t.deepEqual(await issued.issued(), [], 'no serial: nothing was signed');
  t.throws(() => statSync(spec.certPath), { code: 'ENOENT' });
});

test('a certificate that leaves Git is revoked: every serial of it, for the CRL', async (t) => {
  const { dir, issued, ctx } = setUp();
  const spec = certificate(dir);
  await applyCertificate(ctx, change('n1/certificate:peer', { action: 'create', after: plan(spec, undefined, false)!.after }));
  const outcome = await applyCertificate(ctx, change('n1/certificate:peer', { action: 'delete' }));
  const [record] = await issued.issued();
  t.is(outcome.message, `revoked ${record!.serial}; its files stay on the node`);
  t.deepEqual((await issued.revocations('lab')).map((r) => r.serial), [record!.serial]);
});
