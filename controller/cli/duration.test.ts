import test from 'ava';
import { parseDuration } from './duration.js';

test('durations as people write them; anything else is refused', (t) => {
  t.deepEqual(['90', '500ms', '30s', '1.5s', '5m', '1h', '0'].map((d) => parseDuration('--x', d)), [90_000, 500, 30_000, 1500, 300_000, 3_600_000, 0]);
  for (const bad of ['', '-1s', '5 minutes', '1d', 's']) t.throws(() => parseDuration('--lock-timeout', bad), { message: /--lock-timeout must be a duration/ });
});
