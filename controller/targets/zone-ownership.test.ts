import test from 'ava';
import { ownedBy, ownedRecordOf, ownerOf, ownershipOf, ownershipRecordName, ownershipRecordValue } from './zone-ownership.js';
import { recordValueMark } from '../model/record-value-mark.js';

test('an ownership record lives at its own prefixed, per-type name, so it never shares a name with a CNAME', (t) => {
  t.is(ownershipRecordName('n1.lab.example.net.', 'A'), '_underlay-owner.a.n1.lab.example.net.');
  t.is(ownershipRecordName('n1.lab.example.net.', 'AAAA'), '_underlay-owner.aaaa.n1.lab.example.net.');
  t.not(ownershipRecordName('www.lab.example.net.', 'CNAME'), 'www.lab.example.net.');
  t.deepEqual(ownedRecordOf(ownershipRecordName('www.lab.example.net.', 'CNAME')), { name: 'www.lab.example.net.', type: 'CNAME' });
  t.is(ownedRecordOf('www.lab.example.net.'), null);
});

test('the TXT value names the site; only a value written that way names an owner', (t) => {
  t.is(ownershipRecordValue('lab'), 'heritage=underlay,site=lab');
  t.is(ownerOf(ownershipRecordValue('lab')), 'lab');
  for (const other of ['heritage=external-dns,external-dns/owner=lab', 'heritage=underlay', 'heritage=underlay,site=', 'heritage=underlay,site=lab,extra', 'heritage=underlay,site=lab,value=', 'v=spf1 -all']) {
    t.is(ownerOf(other), null, other);
  }
});

test('the TXT value carries a digest of the value written, so a hand edit can be told from a change in Git', (t) => {
  const txt = ownershipRecordValue('lab', '198.18.0.11');
  t.is(txt, `heritage=underlay,site=lab,value=${recordValueMark('198.18.0.11')}`);
  t.deepEqual(ownershipOf(txt), { site: 'lab', mark: recordValueMark('198.18.0.11') });
  t.not(recordValueMark('198.18.0.11'), recordValueMark('198.18.0.12'));
  t.false(txt.includes('198.18'));
});

test('a record is owned by a site only when one ownership value at its name names that site: two sites never take each other\'s', (t) => {
  t.true(ownedBy('lab', [ownershipRecordValue('lab')]));
  t.true(ownedBy('lab', [ownershipRecordValue('lab', '198.18.0.1')]));
  t.false(ownedBy('lab', [ownershipRecordValue('other')]));
  t.true(ownedBy('lab', ['v=spf1 -all', ownershipRecordValue('lab')]));
  // A record a person wrote (no ownership record) belongs to nobody here.
  t.false(ownedBy('lab', []));
});
