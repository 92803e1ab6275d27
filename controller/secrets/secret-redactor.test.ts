import test from 'ava';
import { clusterDoc, doc, testSpec } from '../../test/support/build-spec.js';
import { SecretError } from './secret-store.js';
import type { SecretSource } from './secret-source.js';
import { redactorOf, secretRedactor, siteSecretNames } from './secret-redactor.js';

test('every form of a secret is taken out: as stored, without its line break, base64, each line of a PEM', (t) => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ3xabcdefabcdef\n-----END PRIVATE KEY-----\n';
  const redact = redactorOf([{ name: 'key', value: Buffer.from(pem) }, { name: 'tok', value: Buffer.from('s3cr3t-token\n') }]);
  t.is(redact(`a ${pem} b`), 'a [redacted secret key]\n b');
  t.is(redact('line MC4CAQAwBQYDK2VwBCIEIJ3xabcdefabcdef cut'), 'line [redacted secret key] cut');
  t.is(redact('token=s3cr3t-token\nnext'), 'token=[redacted secret tok]\nnext');
  t.is(redact(`b64 ${Buffer.from('s3cr3t-token').toString('base64')}`), 'b64 [redacted secret tok]');
  t.is(redact('nothing secret here'), 'nothing secret here');
});

test('values too short to be secrets are not matched in ordinary text', (t) => {
  t.is(redactorOf([{ name: 'tiny', value: Buffer.from('ok') }])('ok, all is ok'), 'ok, all is ok');
});

test('the site\'s secrets are the client key, deliverable secrets, TSIG and CA keys; one the store lacks has nothing to redact', async (t) => {
  const site = doc('Site', 'site', { secrets: [{ name: 'etcd-root', nodes: {} }] });
  const zone = doc('DNSZone', 'z', { zone: 'lab.example.net', server: { address: '198.18.0.1' }, tsigKeySecret: 'tsig-lab' });
  const spec = testSpec([site, zone, clusterDoc('c', { nodes: {}, steps: [{ name: 's', module: 'm' }] })]);
  const names = siteSecretNames(spec);
  t.deepEqual(names, ['ssh-client-key', 'etcd-root', 'tsig-lab']);
  const held: Record<string, string> = { 'etcd-root': 'root-password-1', 'tsig-lab': 'dHNpZy1rZXktYnl0ZXM=' };
  const source: SecretSource = {
    site: 'site',
    read: async (name) => {
      if (!(name in held)) throw new SecretError('SecretNotFound', name, 'no such secret');
      return Buffer.from(held[name]!);
    },
    digestKey: async () => Buffer.alloc(32),
  };
  const redact = await secretRedactor(source, names);
  t.is(redact('pw root-password-1 key dHNpZy1rZXktYnl0ZXM='), 'pw [redacted secret etcd-root] key [redacted secret tsig-lab]');
});
