/**
 * `underlay pki init`: a new site CA. Its key goes into the controller's secret store and nowhere else; its
 * certificate is written for the operator to commit and to reference from the CertificateAuthority document.
 */
import { Option } from 'commander';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { systemClock } from '../../clock.js';
import { type CaKeyType, CertificateAuthority, createCertificateAuthority } from '../../pki/certificate-authority.js';
import { systemRandom } from '../../pki/certificate-builder.js';
import { SecretName } from '../../spec/schema.js';
import { DEFAULT_ISSUANCE_POLICY } from '../../pki/policy.js';
import { loadSpec } from '../../load/load-spec.js';
import { authorityCertificate } from '../../resolve/node-entitlements.js';
import { siteIdOf } from '../../spec/spec.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import { openExistingStore } from '../live-options.js';
import { addSiteOptions, readSiteRevision, type SiteOptions } from '../site-options.js';
import type { Register } from '../main.js';
import { addSecretsOption, addStateOption, secretStoreOf, type SecretsOptions } from '../state-options.js';

interface PkiInitOptions extends SecretsOptions {
  ca: string;
  keyType: CaKeyType;
  validityDays: string;
  keySecret?: string;
  out?: string;
  commonName?: string;
}

interface PkiCrlOptions extends SiteOptions {
  ca: string;
  out?: string;
  nextUpdateDays: string;
}

/**
 * `underlay pki crl`: the CA's revocation list, signed now, listing every serial the store revoked for it
 * (certificates that left Git, superseded ones). The CA certificate from the site, its key from the secret
 * store, the serials from the state directory; the CRL number is the time in seconds, so it only grows.
 */
async function writeCrl(options: PkiCrlOptions, io: CliIO): Promise<void> {
  const nextUpdateDays = Number(options.nextUpdateDays);
  if (!Number.isInteger(nextUpdateDays) || nextUpdateDays < 1) throw new UsageError(`--next-update-days must be a whole number of days, got ${JSON.stringify(options.nextUpdateDays)}`);
  const loaded = loadSpec(await readSiteRevision(options, io));
  if (!loaded.spec) throw new UsageError(`the site repository does not load (${loaded.diagnostics.length} problem(s)); run underlay validate`);
  const doc = loaded.spec.certificateAuthorities[options.ca];
  if (!doc) throw new UsageError(`the site has no CertificateAuthority ${JSON.stringify(options.ca)} (it has: ${Object.keys(loaded.spec.certificateAuthorities).sort().join(', ') || 'none'})`);
  const store = openExistingStore(options, io, siteIdOf(loaded.spec));
  let revoked;
  try {
    revoked = await store.issuedCertificates().revocations(options.ca);
  } finally {
    await store.close();
  }
  const ca = await CertificateAuthority.load({
    keySecret: doc.doc.spec.keySecret,
    store: secretStoreOf(options, io),
    certificatePem: authorityCertificate(loaded.spec, options.ca),
    policy: DEFAULT_ISSUANCE_POLICY,
    clock: systemClock,
    random: systemRandom,
  });
  const crl = ca.crl({ revoked, number: Math.floor(systemClock.now().getTime() / 1000), nextUpdateDays });
  const out = path.resolve(io.cwd, options.out ?? `${options.ca}.crl.pem`);
  await writeFile(out, crl, { mode: 0o644 });
  io.stdout(`Wrote the CRL of CA ${options.ca}: ${revoked.length} revoked serial(s), next update in ${nextUpdateDays} days, to ${path.relative(io.cwd, out) || out}.\n`);
}

export const registerPki: Register = (program, io, setExit) => {
  const pki = program.command('pki').description('The site\'s certificate authorities.');
  addSecretsOption(addStateOption(addSiteOptions(pki.command('crl'))))
    .description('Write the revocation list of a CA: the serials it revoked (certificates of removed nodes, superseded ones), signed now.')
    .requiredOption('--ca <name>', 'the CertificateAuthority document\'s name')
    .option('--out <file>', 'where the CRL (PEM) is written (default: <name>.crl.pem in the current directory)')
    .option('--next-update-days <days>', 'how long relying parties may use it before they must fetch a newer one', '7')
    .action(async (options: PkiCrlOptions) => {
      await writeCrl(options, io);
      setExit(ExitCode.Ok);
    });
  addSecretsOption(addStateOption(pki.command('init')))
    .description('Create a certificate authority: its key into the secret store, its certificate into a file to commit.')
    .requiredOption('--ca <name>', 'the CA\'s name, as its CertificateAuthority document will be named')
    .addOption(new Option('--key-type <type>', 'the CA\'s key').choices(['ecdsa-p256', 'rsa-2048', 'rsa-3072', 'rsa-4096']).default('ecdsa-p256'))
    .option('--validity-days <days>', 'how long the CA certificate is valid', '3650')
    .option('--common-name <cn>', 'the CA certificate\'s subject CN (default: "<name> CA")')
    .option('--key-secret <name>', 'the secret the key is stored as (default: <name>-ca-key)')
    .option('--out <file>', 'where the certificate is written (default: <name>-ca.pem in the current directory)')
    .addHelpText('after', '\nNeither file is ever overwritten. The key is PKCS#8 PEM, mode 0600, in the secret store only: never commit it.')
    .action(async (options: PkiInitOptions) => {
      const keySecret = options.keySecret ?? `${options.ca}-ca-key`;
      if (!SecretName.safeParse(options.ca).success || !SecretName.safeParse(keySecret).success) throw new UsageError(`--ca and --key-secret must be plain names (got ${JSON.stringify(options.ca)}, ${JSON.stringify(keySecret)})`);
      const validityDays = Number(options.validityDays);
      if (!Number.isInteger(validityDays) || validityDays < 1) throw new UsageError(`--validity-days must be a whole number of days, got ${JSON.stringify(options.validityDays)}`);
      const out = path.resolve(io.cwd, options.out ?? `${options.ca}-ca.pem`);
      const created = createCertificateAuthority({ commonName: options.commonName ?? `${options.ca} CA`, keyType: options.keyType, validityDays, clock: systemClock, random: systemRandom });
      // The certificate first ('wx': never over a file): if storing the key then fails, it is removed again.
      try {
        await writeFile(out, created.certificatePem, { flag: 'wx', mode: 0o644 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${out} exists already; choose another --out, or remove it if that CA is not in use`);
        throw err;
      }
      let keyFile: string;
      try {
        keyFile = await secretStoreOf(options, io).create(keySecret, created.keyPem);
      } catch (err) {
        await rm(out, { force: true });
        throw err;
      }
      const relative = path.relative(io.cwd, out) || out;
      io.stdout(
        [
          `Created CA ${options.ca} (${options.keyType}, ${validityDays} days).`,
          `  certificate: ${relative}  (commit it)`,
          `  key:         secret ${keySecret} (${keyFile}; never commit it)`,
          '',
          'Its document in the site repository:',
          '',
          '  apiVersion: underlay.dev/v1alpha1',
          '  kind: CertificateAuthority',
          '  metadata:',
          `    name: ${options.ca}`,
          '  spec:',
          `    certificateFile: ${path.basename(out)}  # relative to the document`,
          `    keySecret: ${keySecret}`,
          '',
        ].join('\n'),
      );
      setExit(ExitCode.Ok);
    });
};
