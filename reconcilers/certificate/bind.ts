/**
 * A rendered certificate completed with what its CA may sign for its node (resolve's last pass): the
 * entitlement and the authority travel in the change, so apply signs under exactly what the plan showed.
 * What the resource itself asks for beyond it is a plan-time diagnostic at its field, before any node is
 * touched; the CA checks the CSR against the same entitlement again at apply (a CSR may say anything).
 */
import { canonicalAddress } from '../../controller/model/ip.js';
import type { SiteBinding } from '../kind.js';
import type { DesiredCertificate } from './schema.js';

const USAGES_NEEDED = { server: ['server'], client: ['client'], peer: ['server', 'client'] } as const;

function nameProblems(spec: DesiredCertificate, site: SiteBinding, granted: { dnsNames: string[]; ipAddresses: string[] }, ca: string): void {
  const names = new Set(granted.dnsNames);
  const addresses = new Set(granted.ipAddresses);
  const own = `${site.node}'s names under CA ${ca} (${granted.dnsNames.join(', ') || 'none'})`;
  if (!names.has(spec.commonName.toLowerCase())) site.report(['commonName'], 'CertificateNotAllowed', `common name ${spec.commonName} is not one of ${own}`);
  spec.dnsNames.forEach((name, i) => {
    if (!names.has(name.toLowerCase().replace(/\.$/, ''))) site.report(['dnsNames', i], 'CertificateNotAllowed', `DNS name ${name} is not one of ${own}`);
  });
  spec.ipAddresses.forEach((address, i) => {
    if (!addresses.has(canonicalAddress(address))) {
      site.report(['ipAddresses', i], 'CertificateNotAllowed', `IP address ${address} is not one of ${site.node}'s addresses under CA ${ca} (${granted.ipAddresses.join(', ') || 'none'})`);
    }
  });
}

export function bindCertificate(spec: DesiredCertificate, site: SiteBinding): DesiredCertificate {
  // No such authority: load reported the dangling reference.
  const ca = site.authority(spec.ca);
  if (!ca) return spec;
  if (!ca.issuesToNode) site.report(['ca'], 'CertificateNotAllowed', `CertificateAuthority ${ca.name} does not issue certificates to ${site.node}: its policy.nodes does not select it`);
  else nameProblems(spec, site, ca.entitlement, ca.name);
  if (!ca.policy.keyTypes.includes(spec.keyType)) site.report(['keyType'], 'CertificateNotAllowed', `key type ${spec.keyType} is not signed by CA ${ca.name} (it signs ${ca.policy.keyTypes.join(', ')})`);
  if (spec.validityDays > ca.policy.maxValidityDays) {
    site.report(['validityDays'], 'CertificateNotAllowed', `validity ${spec.validityDays} days is longer than CA ${ca.name} allows (${ca.policy.maxValidityDays} days)`);
  }
  spec.usages.forEach((usage, i) => {
    if (USAGES_NEEDED[usage].some((u) => !ca.policy.usages.includes(u))) site.report(['usages', i], 'CertificateNotAllowed', `usage ${usage} is not granted by CA ${ca.name} (it grants ${ca.policy.usages.join(', ')})`);
  });
  return {
    ...spec,
    issuance: {
      authority: { name: ca.name, certificate: ca.certificate, keySecret: ca.keySecret },
      policy: { maxValidityDays: ca.policy.maxValidityDays, keyTypes: ca.policy.keyTypes, usages: ca.policy.usages },
      entitlement: ca.entitlement,
    },
  };
}
