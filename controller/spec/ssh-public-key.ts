/**
 * Reads an OpenSSH public key line ("type base64 [comment]") far enough to know it is a key of its stated
 * type: the base64 decodes exactly, the blob's own type string equals the stated one, and the fields that
 * type needs are there with the right sizes (RFC 4253 section 6.6, RFC 8709 for Ed25519, RFC 5656 for
 * ECDSA), with nothing after them. Pure and small, so `validate` needs no SSH library to start.
 */
export type PublicKeyReading =
  | {
      ok: true;
      type: string;
      blob: Uint8Array;
      /** The blob's base64 without padding: equal for two lines exactly when their keys are (base64 is read strictly). */
      data: string;
    }
  | { ok: false; problem: string };

/** Below this, OpenSSH refuses an RSA key (SSH_RSA_MINIMUM_MODULUS_SIZE), so a pin of one can never match. */
const MIN_RSA_BITS = 1024;

/** Bytes of one coordinate of an uncompressed point, per curve. */
const ECDSA_CURVES: Record<string, number> = { nistp256: 32, nistp384: 48, nistp521: 66 };

export function readPublicKeyLine(line: string): PublicKeyReading {
  const [type = '', data = ''] = line.trim().split(/\s+/);
  const blob = decodeBase64(data);
  if (!blob) return { ok: false, problem: 'the key data is not valid base64 (truncated or altered?)' };
  const reader = new WireReader(blob);
  const inner = reader.text();
  if (inner === null) return { ok: false, problem: 'the key data does not start with a key type' };
  if (inner !== type) return { ok: false, problem: `the line says ${type}, but the key data is a ${JSON.stringify(inner)} key` };
  const problem = structureProblem(type, reader);
  if (problem) return { ok: false, problem };
  if (!reader.atEnd()) return { ok: false, problem: `the ${type} key data has ${reader.remaining()} bytes after the key` };
  return { ok: true, type, blob, data: unpadded(data) };
}

/** What is wrong with the fields after the type string, per key type; ECDSA types are read by ecdsaProblem. */
const KEY_FIELDS: Record<string, (type: string, reader: WireReader) => string | null> = {
  'ssh-ed25519': (_type, reader) => (reader.bytes()?.length === 32 ? null : 'an ssh-ed25519 key is 32 bytes long'),
  'ssh-rsa': rsaProblem,
};

function structureProblem(type: string, reader: WireReader): string | null {
  return (Object.hasOwn(KEY_FIELDS, type) ? KEY_FIELDS[type]! : ecdsaProblem)(type, reader);
}

function rsaProblem(_type: string, reader: WireReader): string | null {
  const e = reader.bytes();
  const n = reader.bytes();
  if (!e || !n) return 'an ssh-rsa key needs an exponent and a modulus';
  if (!isPositive(e) || !isPositive(n)) return 'an ssh-rsa exponent and modulus are positive numbers';
  return bitLength(n) >= MIN_RSA_BITS ? null : `an ssh-rsa modulus of ${bitLength(n)} bits is below the ${MIN_RSA_BITS} that OpenSSH accepts`;
}

function ecdsaProblem(type: string, reader: WireReader): string | null {
  const curve = /^ecdsa-sha2-(nistp\d+)$/.exec(type)?.[1];
  const size = curve === undefined ? undefined : ECDSA_CURVES[curve];
  if (curve === undefined || size === undefined) return `${type} is not a key type underlay can pin`;
  const named = reader.text();
  if (named !== curve) return `an ${type} key names its curve ${curve}, not ${JSON.stringify(named)}`;
  const point = reader.bytes();
  return point?.length === 1 + 2 * size && point[0] === 4 ? null : `an ${type} key's point is 0x04 and two ${size}-byte coordinates`;
}

/** Strict base64: what re-encodes to the same text (ignoring padding), so a changed or cut character is seen. */
function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  return unpadded(bytes.toString('base64')) === unpadded(text) ? new Uint8Array(bytes) : null;
}

const unpadded = (base64: string): string => base64.replace(/=+$/, '');

/** An mpint (RFC 4251 section 5) is positive when it is non-empty and its sign bit is clear. */
const isPositive = (mpint: Uint8Array): boolean => mpint.length > 0 && (mpint[0]! & 0x80) === 0 && mpint.some((b) => b !== 0);

function bitLength(mpint: Uint8Array): number {
  const first = mpint.findIndex((b) => b !== 0);
  return first < 0 ? 0 : (mpint.length - first - 1) * 8 + (32 - Math.clz32(mpint[first]!));
}

/** SSH wire format (RFC 4251 section 5): each field a uint32 length and that many bytes. */
class WireReader {
  #offset = 0;
  constructor(private readonly data: Uint8Array) {}

  bytes(): Uint8Array | null {
    if (this.data.length - this.#offset < 4) return null;
    const view = new DataView(this.data.buffer, this.data.byteOffset + this.#offset, 4);
    const length = view.getUint32(0);
    if (this.data.length - this.#offset - 4 < length) return null;
    const field = this.data.subarray(this.#offset + 4, this.#offset + 4 + length);
    this.#offset += 4 + length;
    return field;
  }

  text(): string | null {
    const field = this.bytes();
    return field && field.length > 0 && field.every((b) => b >= 0x21 && b < 0x7f) ? String.fromCharCode(...field) : null;
  }

  remaining(): number {
    return this.data.length - this.#offset;
  }

  atEnd(): boolean {
    return this.remaining() === 0;
  }
}
