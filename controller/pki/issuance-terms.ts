/** What resolve computes for one certificate of one node (reconcilers/certificate/bind.ts), as the plan carries it to the CA. */
export interface IssuanceTerms {
  authority: {
    name: string;
    /** The CA certificate, PEM, as Git holds it: the issuer, and the bundle installed on the node. */
    certificate: string;
    /** The secret holding its key, in the controller's secret store. */
    keySecret: string;
  };
  policy: { maxValidityDays: number; keyTypes: string[]; usages: ('server' | 'client')[] };
  /** The node's names and addresses the CA may name in its certificates, sorted. */
  entitlement: { node: string; dnsNames: string[]; ipAddresses: string[] };
}
