/**
 * Line-echo TCP traffic against a load balancer, from the test process: new connections opened one after
 * another in a few loops (each sends a line and waits for its answer), and long-lived connections held open
 * and pinged, so a test can say whether any connection was refused, reset or left unanswered while
 * something changed behind the balancer. Backends answer `<node name> <line>` (the echo module's script).
 */
import net from 'node:net';

/** Per connection, so a hung balancer fails a connection instead of the test. */
const ANSWER_TIMEOUT_MS = 10_000;

export interface Endpoint {
  host: string;
  port: number;
}

/** The backend that answered, or why no answer came (an error code, `closed`, `timeout`). */
type Answer = { by: string } | { failed: string };

/** Sends one line on an open socket and waits for the line that answers it. */
function ask(socket: net.Socket, line: string): Promise<Answer> {
  return new Promise((resolve) => {
    let buffer = '';
    const done = (answer: Answer): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      resolve(answer);
    };
    const onData = (d: Buffer): void => {
      buffer += d.toString('utf8');
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      const [by, echoed] = buffer.slice(0, end).split(' ');
      done(echoed === line ? { by: by ?? '' } : { failed: `garbled answer ${JSON.stringify(buffer.slice(0, end))}` });
    };
    const onError = (e: NodeJS.ErrnoException): void => done({ failed: e.code ?? e.message });
    const onClose = (): void => done({ failed: 'closed' });
    const timer = setTimeout(() => done({ failed: 'timeout' }), ANSWER_TIMEOUT_MS);
    socket.on('data', onData).on('error', onError).on('close', onClose);
    socket.write(`${line}\n`);
  });
}

function connect(to: Endpoint): Promise<net.Socket | { failed: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: to.host, port: to.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ failed: 'connect timeout' });
    }, ANSWER_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ failed: e.code ?? e.message });
    });
  });
}

/** One new connection: connect, one line, its answer, close. */
export async function oneConnection(to: Endpoint, line = 'ping'): Promise<Answer> {
  const socket = await connect(to);
  if (!(socket instanceof net.Socket)) return socket;
  const answer = await ask(socket, line);
  socket.destroy();
  return answer;
}

export interface NewConnectionTally {
  answered: number;
  /** Backend name -> connections it answered. */
  by: Record<string, number>;
  /** Why -> how many connections failed so (ECONNREFUSED, ECONNRESET, closed, timeout). */
  failures: Record<string, number>;
}

/** New connections in `loops` concurrent loops until stopped; stop() resolves with the tally. */
export function newConnections(to: Endpoint, loops = 4): { stop(): Promise<NewConnectionTally> } {
  const tally: NewConnectionTally = { answered: 0, by: {}, failures: {} };
  let running = true;
  const loop = async (): Promise<void> => {
    for (let i = 0; running; i++) {
      const answer = await oneConnection(to, `n${i}`);
      if ('by' in answer) {
        tally.answered++;
        tally.by[answer.by] = (tally.by[answer.by] ?? 0) + 1;
      } else tally.failures[answer.failed] = (tally.failures[answer.failed] ?? 0) + 1;
    }
  };
  const all = Promise.all(Array.from({ length: loops }, loop));
  return {
    async stop() {
      running = false;
      await all;
      return tally;
    },
  };
}

export interface HeldTally {
  /** Each held connection's backend (its first answer), in order. */
  backends: string[];
  /** Pings answered on the held connections, all rounds together. */
  answered: number;
  /** `connection i: why` for each connection that was dropped or answered wrongly (then no longer asked). */
  failures: string[];
}

/**
 * `count` connections opened now and pinged every `everyMs` (which also keeps them from idling out) until
 * stopped; stop() pings each once more, closes them and resolves with the tally.
 */
export async function heldConnections(to: Endpoint, count: number, everyMs = 1000): Promise<{ stop(): Promise<HeldTally> }> {
  const tally: HeldTally = { backends: [], answered: 0, failures: [] };
  const sockets: (net.Socket | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await connect(to);
    const first = socket instanceof net.Socket ? await ask(socket, `held${i}`) : socket;
    if ('by' in first) {
      tally.backends.push(first.by);
      sockets.push(socket as net.Socket);
    } else {
      tally.failures.push(`connection ${i}: ${first.failed} before the change`);
      sockets.push(undefined);
    }
  }
  const pingAll = async (): Promise<void> => {
    await Promise.all(
      sockets.map(async (socket, i) => {
        if (!socket) return;
        const answer = await ask(socket, `held${i}`);
        if ('by' in answer && answer.by === tally.backends[i]) {
          tally.answered++;
          return;
        }
        tally.failures.push(`connection ${i}: ${'by' in answer ? `answered by ${answer.by}, not ${tally.backends[i]}` : answer.failed}`);
        // Dropped once is dropped: it is not asked again.
        socket.destroy();
        sockets[i] = undefined;
      }),
    );
  };
  let pinging = Promise.resolve();
  const timer = setInterval(() => {
    pinging = pinging.then(pingAll);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pinging;
      await pingAll();
      for (const socket of sockets) socket?.destroy();
      return tally;
    },
  };
}
