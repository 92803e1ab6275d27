import test from 'ava';
import { sendBisectingOnPrerequisiteFailure, type SendOutcome } from './bisect-prerequisites.js';
import type { ChangeGroup } from './update-message.js';

const groups: ChangeGroup[] = Array.from({ length: 16 }, (_, i) => ({
  id: `g${i}`,
  prerequisites: [{ kind: 'rrsetAbsent', name: `h${i}.example.test`, type: 'A' }],
  operations: [{ kind: 'add', record: { name: `h${i}.example.test`, ttl: 60, type: 'A', data: `198.18.0.${i}` } }],
}));

/** A server whose zone already holds some names: a message is atomic, all or nothing, as in BIND. */
function server(taken: Set<string>, rcode = 'YXRRSET') {
  const zone = new Set<string>();
  const sent: string[][] = [];
  const send = async (part: readonly ChangeGroup[]): Promise<SendOutcome<string>> => {
    sent.push(part.map((g) => g.id));
    if (part.some((g) => taken.has(g.id))) return { ok: false, rcode, failure: `rejected ${part.map((g) => g.id).join(',')}` };
    for (const g of part) zone.add(g.id);
    return { ok: true };
  };
  return { zone, sent, send };
}

test('bisecting applies every group whose prerequisites hold and reports each failing one alone', async (t) => {
  const s = server(new Set(['g3', 'g12']));
  const result = await sendBisectingOnPrerequisiteFailure(groups, s.send, (f) => new Error(f));
  t.deepEqual(result.rejected.map((r) => [r.group.id, r.failure]), [['g3', 'rejected g3'], ['g12', 'rejected g12']]);
  t.deepEqual([...s.zone].sort(), groups.map((g) => g.id).filter((id) => id !== 'g3' && id !== 'g12').sort());
  t.is(result.applied.length, 14);
  t.is(result.messages, s.sent.length);
  t.true(result.messages < groups.length, 'fewer messages than one per group');
});

test('a message whose prerequisites hold is sent once', async (t) => {
  const s = server(new Set());
  const result = await sendBisectingOnPrerequisiteFailure(groups, s.send, (f) => new Error(f));
  t.is(result.messages, 1);
  t.is(s.zone.size, 16);
});

test('a failure that is not a prerequisite (REFUSED) stops at once and is thrown', async (t) => {
  const s = server(new Set(['g0']), 'REFUSED');
  await t.throwsAsync(sendBisectingOnPrerequisiteFailure(groups, s.send, (f) => new Error(f)), { message: /^rejected g0,g1/ });
  t.is(s.sent.length, 1);
  t.is(s.zone.size, 0);
});
