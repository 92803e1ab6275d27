/**
 * A request's public key as a node:crypto key, with its type and size. OpenSSL 3 decodes a DER
 * SubjectPublicKeyInfo slowly (its generic decoder chain: a third of the time of reading a CSR); the same key
 * given as a JWK is imported directly, the EC point still checked to be on its curve. So the two key types
 * the CA signs are read from their DER here and handed over as JWK; any other goes through the DER decoder.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { derChildren, derContent } from './der.js';

export type PublicKeyAlgorithm = { type: 'ec'; curve: string } | { type: 'rsa'; bits: number } | { type: 'other'; name: string };

const EC_PUBLIC_KEY = '06072a8648ce3d0201';
const RSA_ENCRYPTION = '06092a864886f70d010101';
/** Named curves by their OID's DER, to the names policies use. */
const CURVES: Record<string, { name: string; size: number }> = {
  '06082a8648ce3d030107': { name: 'P-256', size: 32 },
  '06052b81040022': { name: 'P-384', size: 48 },
  '06052b81040023': { name: 'P-521', size: 66 },
};
/** OpenSSL's curve names, as node:crypto reports them for a key read from DER. */
const OPENSSL_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/** An INTEGER's magnitude: the leading zero that keeps a positive INTEGER positive is not part of it. */
function unsigned(integer: Buffer): Buffer {
  const content = derContent(integer);
  return content[0] === 0 && content.length > 1 ? content.subarray(1) : content;
}

function bitLength(magnitude: Buffer): number {
  return magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

function fromJwk(spki: Buffer): { key: KeyObject; algorithm: PublicKeyAlgorithm } | null {
  const [algorithm, bits] = derChildren(spki);
  if (algorithm === undefined || bits === undefined || bits[0] !== 0x03) return null;
  const [oid, parameters] = derChildren(algorithm).map((e) => e.toString('hex'));
  const key = derContent(bits);
  if (key[0] !== 0) return null;
  if (oid === EC_PUBLIC_KEY) {
    const curve = CURVES[parameters ?? ''];
    // Uncompressed points only (0x04 || x || y): what every CSR tool writes.
    if (curve === undefined || key.length !== 2 + 2 * curve.size || key[1] !== 0x04) return null;
    const x = key.subarray(2, 2 + curve.size);
    const y = key.subarray(2 + curve.size);
    return { key: createPublicKey({ key: { kty: 'EC', crv: curve.name, x: base64url(x), y: base64url(y) }, format: 'jwk' }), algorithm: { type: 'ec', curve: curve.name } };
  }
  if (oid === RSA_ENCRYPTION && parameters === '0500') {
    const [n, e] = derChildren(key.subarray(1));
    if (n === undefined || e === undefined) return null;
    const modulus = unsigned(n);
    return { key: createPublicKey({ key: { kty: 'RSA', n: base64url(modulus), e: base64url(unsigned(e)) }, format: 'jwk' }), algorithm: { type: 'rsa', bits: bitLength(modulus) } };
  }
  return null;
}

function algorithmOf(key: KeyObject): PublicKeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return { type: 'ec', curve: OPENSSL_CURVES[details.namedCurve ?? ''] ?? details.namedCurve ?? 'unknown' };
  if (key.asymmetricKeyType === 'rsa') return { type: 'rsa', bits: details.modulusLength ?? 0 };
  return { type: 'other', name: key.asymmetricKeyType ?? 'unknown' };
}

/** Throws on a key node:crypto cannot read. */
export function readPublicKey(spki: Buffer): { key: KeyObject; algorithm: PublicKeyAlgorithm } {
  const fast = fromJwk(spki);
  if (fast !== null) return fast;
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return { key, algorithm: algorithmOf(key) };
}
