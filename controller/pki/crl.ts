/**
 * The body of a certificate revocation list (TBSCertList, RFC 5280 §5), from plain values. Pure, like the
 * certificate body: times and the CRL number are given.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, CRLNumber, id_ce_authorityKeyIdentifier, id_ce_cRLNumber, KeyIdentifier, type Name, RevokedCertificate, TBSCertList, Time, Version } from '@peculiar/asn1-x509';
import { byCodeUnit } from '../model/order.js';
import { arrayBufferOf } from './der.js';
import { extension, type SignatureAlgorithm } from './tbs-certificate.js';

export interface Revocation {
  /** Hex, as IssuedCertificate.serial. */
  serial: string;
  revokedAt: Date;
}

export interface TbsCertListInput {
  signature: SignatureAlgorithm;
  issuer: Name;
  authorityKeyId: Buffer;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Increases with every CRL the CA publishes (RFC 5280 §5.2.3). */
  number: number;
  revoked: readonly Revocation[];
}

export function buildTbsCertList(input: TbsCertListInput): Buffer {
  // In serial order, so the same revocations always give the same list.
  const revoked = [...input.revoked].sort((a, b) => byCodeUnit(a.serial, b.serial));
  const body = new TBSCertList({
    version: Version.v2,
    signature: input.signature.identifier,
    issuer: input.issuer,
    thisUpdate: new Time(input.thisUpdate),
    nextUpdate: new Time(input.nextUpdate),
    crlExtensions: [
      extension(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(input.authorityKeyId) })),
      extension(id_ce_cRLNumber, new CRLNumber(input.number)),
    ],
  });
  if (revoked.length > 0) body.revokedCertificates = revoked.map((r) => new RevokedCertificate({ userCertificate: arrayBufferOf(Buffer.from(r.serial, 'hex')), revocationDate: new Time(r.revokedAt) }));
  return Buffer.from(AsnConvert.serialize(body));
}
