/**
 * Test helper: key material in the shapes real tools write, with made-up bodies (no real key is committed
 * anywhere), and the public or encrypted look-alikes that must never be mistaken for it.
 */
import { sha256 } from '../model/sha256.js';

/** Deterministic bytes that look random, for bodies and ciphertext. */
export function pseudoRandom(n: number, seed = 'underlay'): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++) out.push(Buffer.from(sha256(`${seed}:${i}`), 'hex'));
  return Buffer.concat(out).subarray(0, n);
}

const body = (n: number, seed: string): string => (pseudoRandom(n, seed).toString('base64').match(/.{1,64}/g) ?? []).join('\n');

export const pem = (label: string, seed = label): string => `-----BEGIN ${label}-----\n${body(120, seed)}\n-----END ${label}-----\n`;

export const PRIVATE = {
  rsa: pem('RSA PRIVATE KEY'),
  pkcs8: pem('PRIVATE KEY'),
  ec: pem('EC PRIVATE KEY'),
  openssh: pem('OPENSSH PRIVATE KEY'),
  encryptedPkcs8: pem('ENCRYPTED PRIVATE KEY'),
  encryptedRsa: `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F1E0C2B9A8D7E6F5A4B3C2D1E0F9A8B\n\n${body(96, 'enc')}\n-----END RSA PRIVATE KEY-----\n`,
  ssh2: `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "rsa-key-20240101"\n${body(96, 'ssh2')}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n`,
  pgp: `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${body(150, 'pgp')}\n=Xq3F\n-----END PGP PRIVATE KEY BLOCK-----\n`,
  ppk: [
    'PuTTY-User-Key-File-3: ssh-ed25519',
    'Encryption: none',
    'Comment: eddsa-key-20240101',
    'Public-Lines: 2',
    body(51, 'ppk-public'),
    'Private-Lines: 1',
    body(36, 'ppk-private'),
    `Private-MAC: ${pseudoRandom(32, 'mac').toString('hex')}`,
    '',
  ].join('\n'),
  age: `# created: 2024-01-01T00:00:00Z\n# public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\nAGE-SECRET-KEY-1${'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}\n`,
  jwk: JSON.stringify({ kty: 'EC', crv: 'P-256', x: pseudoRandom(32, 'x').toString('base64url'), y: pseudoRandom(32, 'y').toString('base64url'), d: pseudoRandom(32, 'd').toString('base64url') }, null, 2),
};

export const kubeconfig = (user: string): string => `apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster:
      server: https://10.0.0.1:6443
      certificate-authority-data: ${Buffer.from(pem('CERTIFICATE', 'ca')).toString('base64')}
users:
  - name: admin
    user:
${user}`;

export const PUBLIC = {
  certificate: pem('CERTIFICATE'),
  csr: pem('CERTIFICATE REQUEST'),
  newCsr: pem('NEW CERTIFICATE REQUEST'),
  publicKey: pem('PUBLIC KEY'),
  rsaPublicKey: pem('RSA PUBLIC KEY'),
  pgpPublic: `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${body(150, 'pgp-pub')}\n-----END PGP PUBLIC KEY BLOCK-----\n`,
  pgpMessage: `-----BEGIN PGP MESSAGE-----\n\n${body(150, 'pgp-msg')}\n-----END PGP MESSAGE-----\n`,
  ssh2Public: `---- BEGIN SSH2 PUBLIC KEY ----\nComment: "rsa-key-20240101"\n${body(96, 'ssh2-pub')}\n---- END SSH2 PUBLIC KEY ----\n`,
  sshPublic: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm3cLBpVn2YtrK0FCkD8XNOHQzZp4b4rR9Zgk5p2Wc1 admin@lab\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${pseudoRandom(256, 'rsa').toString('base64')} ops\n`,
  agePublic: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n',
  jwkPublic: JSON.stringify({ keys: [{ kty: 'RSA', n: pseudoRandom(256, 'n').toString('base64url'), e: 'AQAB', kid: 'k1' }, { kty: 'EC', crv: 'P-256', x: pseudoRandom(32, 'x').toString('base64url'), y: pseudoRandom(32, 'y').toString('base64url') }] }),
  base64Certificate: `tls.crt: ${Buffer.from(pem('CERTIFICATE', 'tls')).toString('base64')}\n`,
  kubeconfigByReference: kubeconfig(`      client-certificate-data: ${Buffer.from(pem('CERTIFICATE', 'client')).toString('base64')}\n      client-key: /etc/kubernetes/pki/admin.key\n`),
};

/** Whole files encrypted by age and SOPS: ciphertext only, so they stay allowed. */
export const ENCRYPTED = {
  ageArmoured: `-----BEGIN AGE ENCRYPTED FILE-----\n${body(300, 'age-armour')}\n-----END AGE ENCRYPTED FILE-----\n`,
  ageBinary: Buffer.concat([
    Buffer.from(`age-encryption.org/v1\n-> X25519 ${pseudoRandom(32, 'eph').toString('base64').replace(/=+$/, '')}\n${pseudoRandom(32, 'wrap').toString('base64').replace(/=+$/, '')}\n--- ${pseudoRandom(32, 'hmac').toString('base64').replace(/=+$/, '')}\n`),
    pseudoRandom(600, 'payload'),
  ]),
  sopsJson: JSON.stringify(
    {
      password: `ENC[AES256_GCM,data:${pseudoRandom(24, 'pw').toString('base64')},iv:${pseudoRandom(32, 'iv').toString('base64')},tag:${pseudoRandom(16, 'tag').toString('base64')},type:str]`,
      tls_key: `ENC[AES256_GCM,data:${pseudoRandom(1200, 'tls').toString('base64')},iv:${pseudoRandom(32, 'iv2').toString('base64')},tag:${pseudoRandom(16, 'tag2').toString('base64')},type:str]`,
      jwk: { kty: 'EC', d: `ENC[AES256_GCM,data:${pseudoRandom(32, 'jd').toString('base64')},iv:${pseudoRandom(32, 'iv3').toString('base64')},tag:${pseudoRandom(16, 'tag3').toString('base64')},type:str]` },
      sops: {
        age: [{ recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', enc: `-----BEGIN AGE ENCRYPTED FILE-----\n${body(180, 'sops-age')}\n-----END AGE ENCRYPTED FILE-----\n` }],
        lastmodified: '2024-01-01T00:00:00Z',
        mac: `ENC[AES256_GCM,data:${pseudoRandom(32, 'mac').toString('base64')},iv:${pseudoRandom(32, 'iv4').toString('base64')},tag:${pseudoRandom(16, 'tag4').toString('base64')},type:str]`,
        version: '3.8.1',
      },
    },
    null,
    2,
  ),
};

/** UTF-16 text as Windows editors save it: a byte order mark, then little-endian code units. */
export const utf16le = (text: string, bom = true): Uint8Array => Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(text, 'utf16le')]);
