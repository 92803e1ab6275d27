/**
 * What a certificate change's apply signs through (NodeApplyContext.issuer): a node's CSR checked against
 * the terms the plan carries (what the site gives the node, the CA's policy) and signed with the CA key from
 * the secret store; the serial journalled in the store before the certificate is handed back, so it is on
 * record before it can reach the node. The apply never sees the CA key, and the CA never a node's key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import type { IssuedCertificates } from '../store/issued-certificates.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { CertificateAuthority, type RequestRefusal } from './certificate-authority.js';
import type { RandomSource } from './certificate-builder.js';
import type { IssuanceTerms } from './issuance-terms.js';
import type { DeclaredCertificate, IssuancePolicy, Refusal } from './policy.js';


export interface IssueRequest {
  node: string;
  /** The certificate resource's name on the node. */
  certificate: string;
  /** The CSR as fetched from the node, PEM. */
  csr: string;
  declared: DeclaredCertificate;
  /** The key type the resource declares: the CSR's key must be of it. */
  keyType: string;
  terms: IssuanceTerms;
}

export type IssueResult =
  | { issued: true; certificatePem: string; serial: string; notAfter: string }
  | { issued: false; reasons: (Refusal | RequestRefusal)[] };

export interface CertificateIssuer {
  /** Checks and signs; the serial is in the store before this resolves. Refused: every reason, nothing signed. */
  issue(request: IssueRequest): Promise<IssueResult>;
  /** The certificate is on the node: recorded, and the ones it supersedes revoked. */
  installed(serial: string): Promise<void>;
  /** The node's certificate left Git: every unrevoked serial of it revoked; the serials. */
  revoke(input: { node: string; certificate: string }): Promise<string[]>;
}

const UNSATISFIABLE_BITS = Number.MAX_SAFE_INTEGER;

/** The CA's policy for one request: only the declared key type, when the authority signs it at all. */
export function issuancePolicyFor(terms: IssuanceTerms, keyType: string): IssuancePolicy {
  const allowed = terms.policy.keyTypes.includes(keyType);
  const rsaBits = /^rsa-(\d+)$/.exec(keyType);
  return {
    ecCurves: allowed && keyType === 'ecdsa-p256' ? ['P-256'] : [],
    rsaMinBits: allowed && rsaBits ? Number(rsaBits[1]) : UNSATISFIABLE_BITS,
    usages: terms.policy.usages,
    maxValidityDays: terms.policy.maxValidityDays,
    organizations: [],
  };
}

export interface StoreIssuerOptions {
  secrets: SecretStore;
  store: IssuedCertificates;
  clock: Clock;
  random: RandomSource;
}

export class StoreIssuer implements CertificateIssuer {
  readonly #keys = new Map<string, Promise<KeyObject>>();

  constructor(private readonly options: StoreIssuerOptions) {}

  /** The CA key, read from the secret store once per apply. */
  #key(secret: string): Promise<KeyObject> {
    let key = this.#keys.get(secret);
    if (!key) {
      key = this.options.secrets.file(secret).then(async (file) => createPrivateKey(await readFile(file)));
      this.#keys.set(secret, key);
    }
    return key;
  }

  async issue(request: IssueRequest): Promise<IssueResult> {
    const { terms } = request;
    const ca = new CertificateAuthority({
      certificatePem: terms.authority.certificate,
      key: await this.#key(terms.authority.keySecret),
      policy: issuancePolicyFor(terms, request.keyType),
      clock: this.options.clock,
      random: this.options.random,
    });
    const result = ca.sign({
      csr: request.csr,
      declared: request.declared,
      entitlement: { node: terms.entitlement.node, addresses: terms.entitlement.ipAddresses, zoneNames: terms.entitlement.dnsNames, clusterNames: [] },
    });
    if (!result.issued) return { issued: false, reasons: result.reasons };
    const issued = result.certificate;
    const notAfter = issued.notAfter.toISOString();
    await this.options.store.recordIssued({
      serial: issued.serial,
      authority: terms.authority.name,
      node: request.node,
      certificate: request.certificate,
      notAfter,
      fingerprint: issued.fingerprint,
    });
    return { issued: true, certificatePem: issued.pem, serial: issued.serial, notAfter };
  }

  installed(serial: string): Promise<void> {
    return this.options.store.markInstalled(serial);
  }

  revoke(input: { node: string; certificate: string }): Promise<string[]> {
    return this.options.store.revokeAll(input);
  }
}
