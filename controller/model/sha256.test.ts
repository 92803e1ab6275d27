import test from 'ava';
import { createHash } from 'node:crypto';
import { sha256, Sha256Stream } from './sha256.js';

const reference = (content: string | Uint8Array, encoding: 'hex' | 'base64' = 'hex'): string => createHash('sha256').update(content).digest(encoding);

test('text is hashed as UTF-8 and bytes as they are, in hex by default', (t) => {
  t.is(sha256(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  t.is(sha256('hello\n'), '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
  t.is(sha256('é'), reference(Buffer.from('é', 'utf8')));
  const bytes = new Uint8Array([0, 255, 128, 10]);
  t.is(sha256(bytes), reference(bytes));
  t.is(sha256(bytes, 'base64'), reference(bytes, 'base64'));
});

test('a stream of pieces hashes like the pieces joined, across chunk boundaries', (t) => {
  const pieces = Array.from({ length: 5000 }, (_, i) => `piece ${i} ${'é'.repeat(i % 31)};`);
  const stream = new Sha256Stream();
  for (const p of pieces) stream.update(p);
  t.is(stream.digest(), sha256(pieces.join('')));
  t.is(new Sha256Stream().digest(), sha256(''));
});
