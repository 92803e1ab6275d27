/**
 * Issuing a certificate on a node (ADR 0016). The node makes its key with its own openssl (a new one staged
 * beside the live key, 0600, or the live one kept) and a CSR from it; the controller fetches the CSR, and the
 * issuer checks it against the terms the plan carries and signs it, journalling the serial; then the bundle,
 * the key and the certificate are installed, each by an atomic rename, with their mode and owner. The key
 * never leaves the node: only the CSR and the certificate travel, and no script prints the key.
 */
import type { Change } from '../../controller/model/change.js';
import { UnderlayError } from '../../controller/model/errors.js';
import type { CertificateIssuer } from '../../controller/pki/certificate-issuer.js';
import { APPLIED, type ApplyOutcome, type NodeApplyContext } from '../kind-effects.js';
import { writeFileAtomic } from '../file-write.js';
import { ApplyError, assertPlainValue, runScriptOk } from '../node-exec.js';
import { RECEIVE_FUNCTION, contentDigest } from '../file-write.js';
import type { IssueMode } from './diff.js';
import { usagesOf } from './diff.js';
import type { DesiredCertificate } from './schema.js';

/**
 * `request KEY STAGE TYPE OWNER GROUP SUBJECT SAN EKU`: with STAGE 1, a new key at `.underlay.<key>.next`
 * (0600, OWNER:GROUP, synced) first; then a CSR of that key (or of KEY) on stdout. openssl reads a config of
 * our own, so the node's openssl.cnf adds no extension the CA would refuse.
 */
const REQUEST_SCRIPT = `set -eu
key=$1 stage=$2 type=$3 owner=$4 group=$5 subj=$6 san=$7 eku=$8
dir=$(dirname -- "$key"); base=$(basename -- "$key")
next="$dir/.underlay.$base.next"
umask 077
cnf=$(mktemp)
trap 'rm -f -- "$cnf"' EXIT
printf '[req]\\ndistinguished_name=dn\\n[dn]\\n' > "$cnf"
if [ "$stage" = 1 ]; then
  rm -f -- "$next"
  case $type in
    ecdsa-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$next" 2>/dev/null ;;
    rsa-*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:\${type#rsa-}" -out "$next" 2>/dev/null ;;
    *) echo "key type $type is not one underlay makes" >&2; exit 2 ;;
  esac
  chmod 600 -- "$next"; chown -- "$owner:$group" "$next"; sync -- "$next"
  key=$next
fi
if [ -n "$san" ]; then set -- -addext "subjectAltName=$san"; else set --; fi
openssl req -new -config "$cnf" -key "$key" -subj "$subj" "$@" -addext "extendedKeyUsage=$eku"
`;

/**
 * `install CERT KEY STAGED MODE OWNER GROUP SHA BYTES`: the certificate from stdin into a temporary copy
 * (checked complete), then the staged key renamed over KEY (STAGED 1) and the copy over CERT.
 */
const INSTALL_SCRIPT = `set -eu
${RECEIVE_FUNCTION}cert=$1 key=$2 staged=$3 mode=$4 owner=$5 group=$6
dir=$(dirname -- "$cert"); base=$(basename -- "$cert")
tmp=$(mktemp -- "$dir/.underlay.$base.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
receive "$tmp" "$7" "$8" "$cert"
chmod -- "$mode" "$tmp"; chown -- "$owner:$group" "$tmp"; sync -- "$tmp"
if [ "$staged" = 1 ]; then
  next="$(dirname -- "$key")/.underlay.$(basename -- "$key").next"
  mv -f -- "$next" "$key"
fi
chown -- "$owner:$group" "$key"; chmod 600 -- "$key"
mv -f -- "$tmp" "$cert"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
`;

/** `attributes CERT KEY MODE OWNER GROUP`: only the files' mode and owner (nothing signed). */
const ATTRIBUTES_SCRIPT = `set -eu
chmod -- "$3" "$1"; chown -- "$4:$5" "$1"
chmod 600 -- "$2"; chown -- "$4:$5" "$2"
`;

const EKU_NAMES = { server: 'serverAuth', client: 'clientAuth' } as const;

export class CertificateRefused extends UnderlayError<{ node: string; certificate: string; reasons: { code: string; field: string; value: string }[] }> {
  constructor(node: string, certificate: string, reasons: { code: string; field: string; value: string; message: string }[]) {
    super({
      code: 'CertificateRefused',
      message: `node ${node}: the CA refused the CSR of certificate ${certificate}, nothing was signed: ${reasons.map((r) => `${r.message} (${r.code})`).join('; ')}`,
      data: { node, certificate, reasons: reasons.map(({ code, field, value }) => ({ code, field, value })) },
    });
  }
}

/** openssl -subj: `/` separates attributes and `\\` escapes, so both are escaped in the value. */
const subjectOf = (commonName: string): string => `/CN=${commonName.replace(/[\\/]/g, (c) => `\\${c}`)}`;

function issuerOf(ctx: NodeApplyContext): CertificateIssuer {
  if (!ctx.issuer) throw new UnderlayError({ code: 'NoCertificateIssuer', message: `node ${ctx.node.name}: no certificate issuer is configured for this apply (the CA key comes from the secret store)`, data: {} });
  return ctx.issuer;
}

async function requestCsr(ctx: NodeApplyContext, d: DesiredCertificate, stage: boolean): Promise<string> {
  const san = [...d.dnsNames.map((n) => `DNS:${n}`), ...d.ipAddresses.map((a) => `IP:${a}`)].join(',');
  const eku = usagesOf(d).map((u) => EKU_NAMES[u]).join(',');
  for (const [what, value] of [['key path', d.keyPath], ['common name', d.commonName], ['SANs', san]] as const) assertPlainValue(ctx.node.name, what, value);
  const result = await runScriptOk(ctx, REQUEST_SCRIPT, [d.keyPath, stage ? '1' : '0', d.keyType, d.owner, d.group, subjectOf(d.commonName), san, eku], { what: `making the key and CSR of certificate ${d.name}` });
  return result.stdout.toString('utf8');
}

async function install(ctx: NodeApplyContext, d: DesiredCertificate, certificatePem: string, staged: boolean): Promise<void> {
  if (d.caBundlePath !== undefined && d.issuance) {
    await writeFileAtomic(ctx, { path: d.caBundlePath, content: d.issuance.authority.certificate, mode: d.mode, owner: d.owner, group: d.group });
  }
  const digest = contentDigest(certificatePem);
  await runScriptOk(ctx, INSTALL_SCRIPT, [d.certPath, d.keyPath, staged ? '1' : '0', d.mode, d.owner, d.group, digest.sha256, digest.bytes], { what: `installing certificate ${d.name}`, stdin: certificatePem });
}

async function issue(ctx: NodeApplyContext, d: DesiredCertificate, mode: Exclude<IssueMode, 'none'>): Promise<ApplyOutcome> {
  const issuer = issuerOf(ctx);
  if (!d.issuance) throw new ApplyError(ctx.node.name, `certificate ${d.name}: the plan carries no issuance terms (plan it again)`);
  const staged = mode === 'new-key';
  const csr = await requestCsr(ctx, d, staged);
  const result = await issuer.issue({
    node: ctx.node.name,
    certificate: d.name,
    csr,
    keyType: d.keyType,
    declared: { commonName: d.commonName, dnsNames: d.dnsNames, ipAddresses: d.ipAddresses, usages: d.usages, validityDays: d.validityDays },
    terms: d.issuance,
  });
  if (!result.issued) throw new CertificateRefused(ctx.node.name, d.name, result.reasons);
  // A crash test stops here for good: the serial journalled, the certificate signed, nothing installed.
  await ctx.duringFault?.();
  await install(ctx, d, result.certificatePem, staged);
  await issuer.installed(result.serial);
  return { result: 'applied', message: `serial ${result.serial}, valid until ${result.notAfter}` };
}

export async function applyCertificate(ctx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  if (change.action === 'delete') {
    const revoked = await issuerOf(ctx).revoke({ node: ctx.node.name, certificate: change.key.slice('certificate:'.length) });
    return { result: 'applied', message: revoked.length === 0 ? 'nothing to revoke; its files stay on the node' : `revoked ${revoked.join(', ')}; its files stay on the node` };
  }
  const d = change.after as unknown as DesiredCertificate & { issue: IssueMode };
  if (d.issue !== 'none') return issue(ctx, d, d.issue);
  if (d.caBundlePath !== undefined && d.issuance) {
    await writeFileAtomic(ctx, { path: d.caBundlePath, content: d.issuance.authority.certificate, mode: d.mode, owner: d.owner, group: d.group });
  }
  await runScriptOk(ctx, ATTRIBUTES_SCRIPT, [d.certPath, d.keyPath, d.mode, d.owner, d.group], { what: `setting the mode and owner of certificate ${d.name}` });
  return APPLIED;
}
