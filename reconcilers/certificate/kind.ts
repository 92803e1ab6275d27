/**
 * The certificate kind: a node certificate issued by one of the site's CertificateAuthorities, its key
 * generated on the node and never leaving it. Planned and shown today; issuing comes with the PKI work.
 */
import type { Change } from '../../controller/model/change.js';
import { list, NO_DETAILS, num, str } from '../details-support.js';
import type { ChangeDetails, NodeKind, NodeProbe, ProbeRequest } from '../kind.js';
import { recordedWhileWritten } from '../ownership.js';
import { field, flag, SHA256 } from '../probe/answer-fields.js';
import { diffCertificate } from './diff.js';
import { type CertificateDoc, CertificateResource, type DesiredCertificate, ObservedCertificate } from './schema.js';

function certificateDetails(c: Change): ChangeDetails {
  const a = c.after;
  if (!a) return NO_DETAILS;
  const sans = [...list(a.dnsNames).map((d) => `DNS:${d}`), ...list(a.ipAddresses).map((i) => `IP:${i}`)];
  return {
    attributes: [
      `CN ${str(a.commonName)}, CA ${str(a.ca)}, usages ${list(a.usages).join('+')}, ${str(a.keyType)}, ${num(a.validityDays)} days`,
      ...(sans.length > 0 ? [`SANs ${sans.join(', ')}`] : []),
      `key ${str(a.keyPath)} (stays on the node), certificate ${str(a.certPath)}`,
    ],
    content: [],
  };
}

/** openssl prints `Nov 25 21:37:00 2026 GMT`; the inventory keeps ISO 8601. */
function isoTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}

function parse(request: ProbeRequest, answer: readonly string[]): ObservedCertificate {
  const name = request.args[0] ?? '';
  if (answer[0] === 'other' || !flag(request, answer[0])) return { kind: 'certificate', name, exists: answer[0] === 'other' };
  const notAfter = isoTime(field(answer, 1));
  const fingerprint = field(answer, 2)?.replaceAll(':', '').toLowerCase();
  return {
    kind: 'certificate',
    name,
    exists: true,
    ...(notAfter !== undefined ? { notAfter } : {}),
    ...(fingerprint !== undefined && SHA256.test(fingerprint) ? { fingerprint } : {}),
  };
}

/** A certificate's path is not part of its key: one no longer in Git is not asked about. */
const certificateProbe: NodeProbe<DesiredCertificate, ObservedCertificate> = {
  arms: {
    certificate: `if [ -f "$b" ]; then
      na=- fp=-
      if command -v openssl >/dev/null 2>&1; then
        na=$(openssl x509 -in "$b" -noout -enddate 2>/dev/null) && na=\${na#notAfter=} || na=-
        fp=$(openssl x509 -in "$b" -noout -fingerprint -sha256 2>/dev/null) && fp=\${fp#*=} || fp=-
      fi
      record R "$i" 1 "$na" "$fp"
    elif [ -e "$b" ]; then record R "$i" other
    else record R "$i" 0; fi`,
  },
  requests: (spec) => [{ tag: 'certificate', args: [spec.name, spec.certPath] }],
  parse,
};

export const certificateKind: NodeKind<CertificateDoc, DesiredCertificate, ObservedCertificate> = {
  kind: 'certificate',
  target: 'node',
  planOnly: 'issuing a certificate (a CSR from the node, signed under the CA policy) comes with the PKI work',
  schema: () => CertificateResource,
  observedSchema: ObservedCertificate,
  identity: { of: (c) => ({ value: c.name, field: ['name'] }), ofSpec: (c) => c.name },
  references: (c) => [{ field: ['ca'], document: 'CertificateAuthority', name: c.ca }],
  paths: (c) => [
    { path: c.keyPath, field: ['keyPath'] },
    { path: c.certPath, field: ['certPath'] },
  ],
  render(c, ctx) {
    const commonName = ctx.text(c.commonName, ['commonName']);
    const dnsNames = ctx.texts(c.dnsNames, ['dnsNames']);
    const ipAddresses = ctx.texts(c.ipAddresses, ['ipAddresses']);
    const keyPath = ctx.path(c.keyPath, ['keyPath']);
    const certPath = ctx.path(c.certPath, ['certPath']);
    if (!commonName || !dnsNames || !ipAddresses || keyPath === null || certPath === null) return null;
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
      keyType: c.keyType,
      validityDays: c.validityDays,
    };
  },
  // Content for the step's services (they read the key and certificate), but a stop among deletes.
  order: { role: 'content', paths: (c) => [c.keyPath, c.certPath], deletes: 'stop', rank: 1 },
  diff: diffCertificate,
  details: certificateDetails,
  probe: certificateProbe,
  ownership: recordedWhileWritten,
};
