import test from 'ava';
import { manualTime } from '../../test/support/manual-timers.js';
import { onCronSchedule } from './cron-timer.js';

test('a cron schedule fires at each occurrence on the injected clock, and never after it is stopped', async (t) => {
  const time = manualTime('2025-01-01T00:01:30.000Z');
  const fired: string[] = [];
  const stop = onCronSchedule({ expression: '*/5 * * * *', clock: time.clock, timers: time.timers }, () => void fired.push(time.clock.now().toISOString()));
  await time.advance(3.5 * 60_000 - 1);
  t.deepEqual(fired, []);
  await time.advance(1);
  t.deepEqual(fired, ['2025-01-01T00:05:00.000Z']);
  await time.advance(10 * 60_000);
  t.deepEqual(fired, ['2025-01-01T00:05:00.000Z', '2025-01-01T00:10:00.000Z', '2025-01-01T00:15:00.000Z']);
  stop();
  await time.advance(60 * 60_000);
  t.is(fired.length, 3);
  t.deepEqual(time.pending(), []);
});
