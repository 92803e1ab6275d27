/**
 * One allocator process for sqlite-ledger.concurrency.test.ts: opens the store in the state directory given,
 * and allocates `count` names, each the lowest address no live allocation holds (as a plan would pick it),
 * retrying the next one when another process got there first. Prints the names and addresses it got.
 */
import { systemClock } from '../clock.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';

const [dir, prefix, countText] = process.argv.slice(2);
const store = SqliteStore.open({ file: stateDatabaseFile(dir!), site: 'lab', clock: systemClock });
const ledger = store.ledger();
const got: string[] = [];
for (let i = 0; i < Number(countText); i++) {
  const name = `${prefix}.${i}`;
  for (;;) {
    const taken = new Set((await ledger.poolAllocations()).map((a) => a.address));
    let n = 1;
    while (taken.has(`10.1.${n >> 8}.${n & 255}`)) n++;
    const address = `10.1.${n >> 8}.${n & 255}`;
    try {
      await ledger.allocate({ pool: 'lan', name, address });
      got.push(`${name}=${address}`);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'AddressTaken') throw error;
    }
  }
}
await store.close();
process.stdout.write(got.join('\n') + '\n');
