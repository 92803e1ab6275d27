/**
 * A commit object taken apart the way git does before it checks a signature: the signature is the value of
 * the `gpgsig` header (`gpgsig-sha256` in a SHA-256 repository), and what was signed is the object with
 * every signature header removed, byte for byte. Bytes are handled as latin1 text, which maps each byte to
 * one character and back, so a message in another encoding than UTF-8 is signed and checked unchanged.
 */
export interface SignedCommit {
  /** The signature block, continuation spaces removed; undefined for an unsigned commit. */
  signature: string | undefined;
  /** Exactly the bytes the signer signed. */
  payload: Buffer;
}

const SIGNATURE_HEADERS = ['gpgsig', 'gpgsig-sha256'];

export function splitSignedCommit(raw: Buffer): SignedCommit {
  const text = raw.toString('latin1');
  const end = text.indexOf('\n\n');
  const head = end === -1 ? text : text.slice(0, end);
  const rest = end === -1 ? '' : text.slice(end);
  const kept: string[] = [];
  const signatures = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of head.split('\n')) {
    if (current !== undefined && line.startsWith(' ')) {
      current.push(line.slice(1));
      continue;
    }
    const name = line.slice(0, line.indexOf(' '));
    current = SIGNATURE_HEADERS.includes(name) ? [line.slice(name.length + 1)] : undefined;
    if (current === undefined) kept.push(line);
    else signatures.set(name, current);
  }
  const lines = signatures.get('gpgsig') ?? signatures.get('gpgsig-sha256');
  return {
    signature: lines === undefined ? undefined : `${lines.join('\n')}\n`,
    payload: Buffer.from(kept.join('\n') + rest, 'latin1'),
  };
}
