import test from 'ava';
import { loadSpec } from './load-spec.js';
import { revisionOf, validSite } from './revision-fixture.js';

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
