import test from 'ava';
import { loadSpec } from './load-spec.js';
import { ENCRYPTED, PRIVATE, PUBLIC, pseudoRandom, utf16le } from '../../test/support/key-material.js';
import { revisionOf, validSite, type FixtureFiles } from '../../test/support/site-files.js';

const problems = (files: Parameters<typeof revisionOf>[0], maxFileBytes?: number) =>
  loadSpec(revisionOf(files), maxFileBytes === undefined ? {} : { maxFileBytes }).diagnostics.map((d) => [d.code, d.location?.file, d.location?.line, d.location?.column]);

test('private key material is found in any file, at its line', (t) => {
  const files = {
    ...validSite(),
    'docs/notes.txt': 'setup notes\n\n  -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n',
    'keys/ca.pem': '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n',
    'keys/plain.key': 'x\n-----BEGIN PRIVATE KEY-----\n',
    'keys/cert.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  };
  t.deepEqual(problems(files), [
    ['PrivateKeyMaterial', 'docs/notes.txt', 3, 3],
    ['PrivateKeyMaterial', 'keys/ca.pem', 1, 1],
    ['PrivateKeyMaterial', 'keys/plain.key', 2, 1],
  ]);
});

test('symbolic links out of the repository are refused; links inside are followed for templates', (t) => {
  const files = {
    ...validSite(),
    'templates/motd.liquid': { symlink: 'shared/motd.liquid' },
    'templates/shared/motd.liquid': 'hi {{ inputs.greeting }}\n',
    'escape': { symlink: '../../etc/passwd' },
    'absolute': { symlink: '/etc/shadow' },
  };
  t.deepEqual(problems(files), [
    ['SymlinkOutsideRepository', 'absolute', 1, 1],
    ['SymlinkOutsideRepository', 'escape', 1, 1],
  ]);
  delete (files as Record<string, unknown>).escape;
  delete (files as Record<string, unknown>).absolute;
  t.deepEqual(loadSpec(revisionOf(files)).spec?.templates, { 'templates/motd.liquid': 'hi {{ inputs.greeting }}\n' });
});

test('a YAML symlink is never read as a document', (t) => {
  const files = { ...validSite(), 'nodes/alias.yaml': { symlink: 'n1.yaml' } };
  t.deepEqual(problems(files), []);
});

test('files over the size limit are refused and not parsed', (t) => {
  const big = `# ${'x'.repeat(2 * 1024 * 1024)}\nkind: Broken\n`;
  t.deepEqual(problems({ ...validSite(), 'big.yaml': big }), [['FileTooLarge', 'big.yaml', 1, 1]]);
  t.deepEqual(problems({ 'at-limit.txt': 'x'.repeat(100), 'over.txt': 'x'.repeat(101) }, 100), [['FileTooLarge', 'over.txt', 1, 1]]);
});

/** As a source hands over files it did not read: no content, their size and the limit they are over. */
function unread(files: Parameters<typeof revisionOf>[0], over: 'file' | 'revision', paths: (path: string) => boolean) {
  const revision = revisionOf(files);
  for (const file of revision.files) {
    if (!paths(file.path)) continue;
    file.unread = { size: file.content.byteLength * 1000, over, limit: over === 'file' ? 1024 * 1024 : 64 * 1024 * 1024 };
    file.content = new Uint8Array(0);
  }
  return loadSpec(revision).diagnostics.map((d) => [d.code, d.location?.file, d.location?.line, d.message]);
}

test('files the source left unread are refused at their path, with their real size', (t) => {
  const files = { ...validSite(), 'templates/motd.liquid': 'x'.repeat(2000), 'nodes/link.yaml': { symlink: 'n1.yaml' } };
  // The template reference adds nothing: the file itself is the problem. An unread link is never followed.
  t.deepEqual(
    unread(files, 'file', (p) => p === 'templates/motd.liquid' || p === 'nodes/link.yaml'),
    [
      ['FileTooLarge', 'nodes/link.yaml', 1, 'file is 7000 bytes; the limit is 1048576'],
      ['FileTooLarge', 'templates/motd.liquid', 1, 'file is 2000000 bytes; the limit is 1048576'],
    ],
  );
});

test('a revision too large to read is one RevisionTooLarge, at its largest file, and nothing else', (t) => {
  const files = { ...validSite(), 'templates/huge.txt': 'x'.repeat(5000), 'templates/big.txt': 'x'.repeat(4000) };
  const out = unread(files, 'revision', () => true);
  t.deepEqual(out.map((d) => d.slice(0, 3)), [['RevisionTooLarge', 'templates/huge.txt', 1]]);
  t.regex(String(out[0]![3]), /^the revision's 6 files add up to \d+ bytes; the limit is 67108864, so none was read \(this is the largest, 5000000 bytes\)$/);
});

test('files under a templates directory and under .git are not documents', (t) => {
  const files = { ...validSite(), 'modules/templates/x.yaml': 'not: [a document', '.git/config.yaml': 'kind: Nope\n' };
  t.deepEqual(problems(files), []);
});

const keyProblems = (files: FixtureFiles) => problems(files).filter(([code]) => code === 'PrivateKeyMaterial');

test('key material in UTF-16 and UTF-32 files is found, with or without a byte order mark', (t) => {
  const text = `notes\n\n${PRIVATE.rsa}`;
  const utf32be = Buffer.alloc(text.length * 4);
  [...text].forEach((c, i) => utf32be.writeUInt32BE(c.codePointAt(0)!, i * 4));
  const files = {
    ...validSite(),
    'docs/a-utf16le.txt': utf16le(text),
    'docs/b-utf16le-no-bom.txt': utf16le(text, false),
    'docs/c-utf16be.txt': Buffer.from(utf16le(text)).swap16(),
    'docs/d-utf32be.txt': utf32be,
  };
  t.deepEqual(problems(files), Object.keys(files).filter((f) => f.startsWith('docs/')).map((f) => ['PrivateKeyMaterial', f, 3, 1]));
  t.regex(loadSpec(revisionOf(files)).diagnostics[0]!.message, /in UTF-16LE text/);
});

test('every form of private key is refused in any file, and base64-encoded in YAML values', (t) => {
  const files: FixtureFiles = { ...validSite() };
  for (const [form, text] of Object.entries(PRIVATE)) {
    files[`keys/${form}`] = text;
    files[`secrets/${form}.yaml`] = `apiVersion: v1\nkind: Secret\ndata:\n  key: ${Buffer.from(text).toString('base64')}\n`;
  }
  const found = keyProblems(files).map(([code, file]) => `${code} ${file}`);
  t.deepEqual(found, Object.keys(PRIVATE).flatMap((form) => [`PrivateKeyMaterial keys/${form}`]).concat(Object.keys(PRIVATE).map((form) => `PrivateKeyMaterial secrets/${form}.yaml`)).sort());
});

test('YAML escapes, folding and quoted keys cannot hide a key from the document scan', (t) => {
  const escaped = PRIVATE.ec.replaceAll('-', '\\x2D').replaceAll('\n', '\\n');
  const unicode = PRIVATE.pgp.replaceAll('-', '\\u002D').replaceAll('\n', '\\n');
  const folded = (Buffer.from(PRIVATE.openssh).toString('base64').match(/.{1,60}/g) ?? []).join('\n    ');
  const jwk = `{"\\x6bty": "EC", "\\x64": "${Buffer.alloc(32, 7).toString('base64url')}"}`;
  const doc = `a: "${escaped}"\nb:\n  - "${unicode}"\nc: >-\n    ${folded}\nd: ${jwk}\ne: "AGE-SECRET-KEY-1\\\n   ${'Q'.repeat(58)}"\n`;
  t.deepEqual(keyProblems({ ...validSite(), 'notes/hidden.yaml': doc }), [
    ['PrivateKeyMaterial', 'notes/hidden.yaml', 1, 4],
    ['PrivateKeyMaterial', 'notes/hidden.yaml', 3, 5],
    ['PrivateKeyMaterial', 'notes/hidden.yaml', 4, 4],
    ['PrivateKeyMaterial', 'notes/hidden.yaml', 11, 29],
    ['PrivateKeyMaterial', 'notes/hidden.yaml', 12, 4],
  ]);
});

test('a key the text already shows is reported once, not again for the parsed value', (t) => {
  const doc = `key: |\n  ${PRIVATE.rsa.replaceAll('\n', '\n  ')}\nsecret: ${Buffer.from(PRIVATE.rsa).toString('base64')}\n`;
  t.deepEqual(keyProblems({ ...validSite(), 'notes/plain.yaml': doc }), [
    ['PrivateKeyMaterial', 'notes/plain.yaml', 2, 3],
    ['PrivateKeyMaterial', 'notes/plain.yaml', 8, 9],
  ]);
});

test('public keys, certificates, CSRs and files encrypted with age or SOPS are accepted', (t) => {
  const files: FixtureFiles = { ...validSite(), 'secrets/db.enc.json': ENCRYPTED.sopsJson, 'secrets/token.age': ENCRYPTED.ageArmoured, 'secrets/blob.age': ENCRYPTED.ageBinary };
  for (const [form, text] of Object.entries(PUBLIC)) {
    files[`public/${form}`] = text;
    files[`public/${form}.yaml`] = `value: ${JSON.stringify(Buffer.from(text).toString('base64'))}\nplain: ${JSON.stringify(text)}\n`;
  }
  t.deepEqual(keyProblems(files), []);
});

test('documents must be valid UTF-8: the first bad byte is reported with its line and column', (t) => {
  const bad = Buffer.concat([Buffer.from('apiVersion: underlay.dev/v1alpha1\nkind: Site\nmetadata: {name: lab}\nspec:\n  params:\n    motto: "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]);
  t.deepEqual(problems({ ...validSite(), 'site.yaml': bad }), [['InvalidUtf8', 'site.yaml', 6, 16]]);
  t.deepEqual(problems({ ...validSite(), 'site.yaml': utf16le('kind: Site\n') }), [['InvalidUtf8', 'site.yaml', 1, 1]]);
});

test('a template that is not UTF-8 is refused once, at its bad byte, however many modules use it', (t) => {
  const files = validSite();
  files['templates/motd.liquid'] = Buffer.concat([Buffer.from('{{ inputs.greeting }}\nbinary: '), Buffer.from([0x00, 0xff, 0xfe]), Buffer.from('\n')]);
  files['modules/motd2.yaml'] = (files['modules/motd.yaml'] as string).replace('name: motd', 'name: motd2');
  t.deepEqual(problems(files), [['InvalidUtf8', 'templates/motd.liquid', 2, 10]]);
});

test('other files need no particular encoding (images, notes), but are still scanned for keys', (t) => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]), pseudoRandom(300)]);
  t.deepEqual(problems({ ...validSite(), 'docs/logo.png': png, 'docs/latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]) }), []);
  const lines = png.filter((b) => b === 0x0a).length + 1;
  t.deepEqual(problems({ ...validSite(), 'docs/logo.png': Buffer.concat([png, Buffer.from(`\n${PRIVATE.pkcs8}`)]) }), [['PrivateKeyMaterial', 'docs/logo.png', lines + 1, 1]]);
});
