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

test('files under a templates directory and under .git are not documents', (t) => {
  const files = { ...validSite(), 'modules/templates/x.yaml': 'not: [a document', '.git/config.yaml': 'kind: Nope\n' };
  t.deepEqual(problems(files), []);
});
