import test from 'ava';
import { steppingClock } from '../clock.js';
import { SqliteStore } from './sqlite-store.js';

const open = (site = 'lab') => SqliteStore.open({ file: ':memory:', site, clock: steppingClock('2026-12-01T00:00:00.000Z', 1000) });
const issue = (serial: string, certificate = 'peer') => ({ serial, authority: 'lab-ca', node: 'n1', certificate, notAfter: '2026-12-31T00:00:00.000Z', fingerprint: 'f'.repeat(64) });

test('a serial is journalled once: the database refuses it a second time', async (t) => {
  const issued = open().issuedCertificates();
  await issued.recordIssued(issue('4a01'));
  await t.throwsAsync(issued.recordIssued(issue('4a01', 'other')), { code: 'SerialTaken', message: /serial 4a01 was issued before/ });
  t.deepEqual((await issued.issued()).map((r) => [r.serial, r.certificate, r.installedAt, r.revokedAt]), [['4a01', 'peer', null, null]]);
});

test('installing one supersedes the others of the same certificate (renewed, or signed and never installed); a delete revokes all', async (t) => {
  const issued = open().issuedCertificates();
  await issued.recordIssued(issue('4a01'));
  await issued.markInstalled('4a01');
  await issued.recordIssued(issue('4a02'));
  await issued.recordIssued(issue('4b01', 'client'));
  await issued.recordIssued(issue('4a03'));
  await issued.markInstalled('4a03');
  t.deepEqual((await issued.issued()).map((r) => [r.serial, r.installedAt !== null, r.revokedAt !== null]), [
    ['4a01', true, true],
    ['4a02', false, true],
    ['4a03', true, false],
    ['4b01', false, false],
  ]);
  t.deepEqual(await issued.revokeAll({ node: 'n1', certificate: 'peer' }), ['4a03']);
  t.deepEqual(await issued.revokeAll({ node: 'n1', certificate: 'peer' }), [], 'idempotent');
  t.deepEqual((await issued.revocations('lab-ca')).map((r) => r.serial), ['4a01', '4a02', '4a03']);
});

test('the export section carries every row; an import adds what is missing and names a serial of another history', async (t) => {
  const from = open().issuedCertificates();
  await from.recordIssued(issue('4a01'));
  await from.markInstalled('4a01');
  await from.recordIssued(issue('4a02'));
  await from.markInstalled('4a02');
  const rows = from.section().rows();
  t.is(rows.length, 2);
  const into = open();
  const section = into.issuedCertificates().section();
  t.deepEqual(section.conflicts(rows), []);
  t.is(section.add(rows), 2);
  t.deepEqual(section.rows(), rows);
  t.is(section.add(rows), 0, 'imported twice changes nothing');
  t.deepEqual(section.conflicts([{ ...rows[0]!, node: 'n9' }]), ['serial 4a01 is here already for lab/n1/peer (CA lab-ca), in the export for n9/peer (CA lab-ca)']);
  t.true(section.schema.safeParse(rows[0]).success);
});
