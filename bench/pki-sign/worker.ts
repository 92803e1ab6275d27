/** One worker thread of the bench: waits for "go", then signs for the given time and reports its count. */
import { parentPort, workerData } from 'node:worker_threads';
import type { NodeRequest } from './node-requests.js';
import { type CaMaterial, signFor } from './sign-loop.js';

const { ca, requests, ms } = workerData as { ca: CaMaterial; requests: NodeRequest[]; ms: number };
// Warm up (JIT, key objects) before the timed part starts.
signFor(ca, requests, 200);
parentPort!.once('message', () => parentPort!.postMessage(signFor(ca, requests, ms)));
parentPort!.postMessage('ready');
