/**
 * The certificate kind: a node certificate issued by one of the site's CertificateAuthorities, its key
 * generated on the node and never leaving it (ADR 0016). Resolve binds each certificate to what its CA may
 * sign for its node (bind.ts); the probe reads the certificate on the node, and the key's public half's
 * fingerprint there; apply has the node make its key and CSR and the CA sign it (apply.ts).
 */
import type { Change } from '../../controller/model/change.js';
import { certificateFacts } from '../../controller/pki/certificate-facts.js';
import { list, NO_DETAILS, num, str } from '../details-support.js';
import type { ChangeDetails, NodeKind, NodeProbe, ProbeRequest } from '../kind.js';
import { recordedWhileWritten } from '../ownership.js';
import { field, flag, ownership, SHA256, statFields } from '../probe/answer-fields.js';
import { bindCertificate } from './bind.js';
import { diffCertificate } from './diff.js';
import { type CertificateDoc, CertificateResource, type DesiredCertificate, ObservedCertificate } from './schema.js';

const ISSUE_TEXT: Record<string, string> = { 'new-key': 'a new key made on the node', 'same-key': 'the key already on the node', none: 'nothing signed' };

/** What the CA may name for the node (resolve's terms, which the CSR is checked against): what a reviewer approves. */
function entitlementLines(issuance: unknown): string[] {
  const terms = issuance as DesiredCertificate['issuance'] | null | undefined;
  if (!terms) return [];
  const { node, dnsNames, ipAddresses } = terms.entitlement;
  const names = [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((i) => `IP:${i}`)];
  return [`${terms.authority.name} may name for ${node}: ${names.join(', ') || 'nothing'}`];
}

function certificateDetails(c: Change): ChangeDetails {
  const a = c.after;
  if (!a) return c.before?.serial !== undefined ? { attributes: [`serial ${str(c.before.serial)} revoked`], content: [] } : NO_DETAILS;
  const sans = [...list(a.dnsNames).map((d) => `DNS:${d}`), ...list(a.ipAddresses).map((i) => `IP:${i}`)];
  return {
    attributes: [
      `CN ${str(a.commonName)}, CA ${str(a.ca)}, usages ${list(a.usages).join('+')}, ${str(a.keyType)}, ${num(a.validityDays)} days`,
      ...(sans.length > 0 ? [`SANs ${sans.join(', ')}`] : []),
      `key ${str(a.keyPath)} (stays on the node), certificate ${str(a.certPath)}${a.caBundlePath !== undefined ? `, CA bundle ${str(a.caBundlePath)}` : ''}`,
      `signs: ${ISSUE_TEXT[String(a.issue)] ?? String(a.issue)}`,
      ...entitlementLines(a.issuance),
    ],
    content: [],
  };
}

function parseCertificate(name: string, answer: readonly string[], previous: ObservedCertificate | undefined): ObservedCertificate {
  const base = { ...previous, kind: 'certificate' as const, name };
  const pem = field(answer, 1);
  const facts = pem === undefined ? null : certificateFacts(Buffer.from(pem, 'base64'));
  const [mode, owner, group] = statFields(field(answer, 2));
  return {
    ...base,
    exists: true,
    ...ownership(mode, owner, group),
    ...(facts === null
      ? {}
      : {
          serial: facts.serial,
          notBefore: facts.notBefore,
          notAfter: facts.notAfter,
          ...(facts.commonName !== undefined ? { commonName: facts.commonName } : {}),
          dnsNames: facts.dnsNames,
          ipAddresses: facts.ipAddresses,
          issuer: facts.issuer,
          ...(facts.issuerKeyId !== undefined ? { issuerKeyId: facts.issuerKeyId } : {}),
          keyType: facts.keyType,
          usages: facts.usages,
          keyFingerprint: facts.keyFingerprint,
          fingerprint: facts.fingerprint,
        }),
  };
}

/** A sha256 answer (`1 <hex>`) into its field, or nothing. */
function digestOf(request: ProbeRequest, answer: readonly string[]): string | undefined {
  if (!flag(request, answer[0])) return undefined;
  const digest = field(answer, 1);
  return digest !== undefined && SHA256.test(digest) ? digest : undefined;
}

function parse(request: ProbeRequest, answer: readonly string[], previous: ObservedCertificate | undefined): ObservedCertificate {
  const name = request.args[0] ?? '';
  const seen = previous ?? { kind: 'certificate', name, exists: false };
  if (request.tag === 'certificate-key') {
    const digest = digestOf(request, answer);
    return digest === undefined ? seen : { ...seen, nodeKeyFingerprint: digest };
  }
  if (request.tag === 'certificate-bundle') {
    const digest = digestOf(request, answer);
    return digest === undefined ? seen : { ...seen, caBundleSha256: digest };
  }
  if (answer[0] === 'other') return { ...seen, exists: true };
  if (!flag(request, answer[0])) return { ...seen, exists: false };
  return parseCertificate(name, answer, previous);
}

/**
 * The certificate's PEM (bounded) goes to the controller, which reads it; of the key only the sha256 of its
 * public half is computed on the node (openssl pkey), so the key itself never leaves it.
 */
const certificateProbe: NodeProbe<DesiredCertificate, ObservedCertificate> = {
  arms: {
    certificate: `if [ -L "$b" ] || { [ -e "$b" ] && [ ! -f "$b" ]; }; then record R "$i" other
    elif [ -f "$b" ]; then st "$b"; record R "$i" 1 "$(head -c 65536 -- "$b" | base64 | tr -d '\\n')" "$st_v"
    else record R "$i" 0; fi`,
    'certificate-key': `if [ -f "$b" ] && command -v openssl >/dev/null 2>&1 && k=$(openssl pkey -in "$b" -pubout 2>/dev/null) && [ -n "$k" ]; then
      k=$(printf '%s\\n' "$k" | openssl pkey -pubin -outform DER | sha256sum); record R "$i" 1 "\${k%% *}"
    else record R "$i" 0; fi`,
    'certificate-bundle': `if [ -f "$b" ] && hash "$b" && [ "$h_v" != - ]; then record R "$i" 1 "$h_v"; else record R "$i" 0; fi`,
  },
  prefetch: { certificate: 'prefetch "$b"', 'certificate-bundle': 'prefetch "$b" hash' },
  requests: (spec) => [
    { tag: 'certificate', args: [spec.name, spec.certPath] },
    { tag: 'certificate-key', args: [spec.name, spec.keyPath] },
    ...(spec.caBundlePath !== undefined ? [{ tag: 'certificate-bundle', args: [spec.name, spec.caBundlePath] }] : []),
  ],
  parse,
};

export const certificateKind: NodeKind<CertificateDoc, DesiredCertificate, ObservedCertificate> = {
  kind: 'certificate',
  target: 'node',
  schema: () => CertificateResource,
  observedSchema: ObservedCertificate,
  identity: { of: (c) => ({ value: c.name, field: ['name'] }), ofSpec: (c) => c.name },
  references: (c) => [{ field: ['ca'], document: 'CertificateAuthority', name: c.ca }],
  paths: (c) => [
    { path: c.keyPath, field: ['keyPath'] },
    { path: c.certPath, field: ['certPath'] },
    ...(c.caBundlePath !== undefined ? [{ path: c.caBundlePath, field: ['caBundlePath'] }] : []),
  ],
  render(c, ctx) {
    const commonName = ctx.text(c.commonName, ['commonName']);
    const dnsNames = ctx.texts(c.dnsNames, ['dnsNames']);
    const ipAddresses = ctx.texts(c.ipAddresses, ['ipAddresses']);
    const keyPath = ctx.path(c.keyPath, ['keyPath']);
    const certPath = ctx.path(c.certPath, ['certPath']);
    const caBundlePath = c.caBundlePath === undefined ? undefined : ctx.path(c.caBundlePath, ['caBundlePath']);
    if (!commonName || !dnsNames || !ipAddresses || keyPath === null || certPath === null || caBundlePath === null) return null;
    return {
      kind: 'certificate',
      name: c.name,
      ca: c.ca,
      commonName: commonName.text,
      dnsNames: dnsNames.map((d) => d.text),
      ipAddresses: ipAddresses.map((d) => d.text),
      usages: [...c.usages],
      keyPath,
      certPath,
      ...(caBundlePath !== undefined ? { caBundlePath } : {}),
      owner: c.owner,
      group: c.group,
      mode: c.mode.padStart(4, '0'),
      keyType: c.keyType,
      validityDays: c.validityDays,
      rotationPolicy: c.rotationPolicy,
    };
  },
  bind: bindCertificate,
  // Content for the step's services (they read the key and certificate), but a stop among deletes.
  order: {
    role: 'content',
    paths: (c) => [c.keyPath, c.certPath, ...(c.caBundlePath !== undefined ? [c.caBundlePath] : [])],
    // A CA signs an allocated address only once the allocation is recorded: a SAN naming a VIP waits for it.
    namesAddresses: (c) => c.ipAddresses,
    deletes: 'stop',
    rank: 1,
  },
  diff: diffCertificate,
  details: certificateDetails,
  probe: certificateProbe,
  ownership: recordedWhileWritten,
};
