/** JSON replies and request bodies of the controller's API, and the error that refuses a request with its status. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Reply = (status: number, body: unknown) => void;

const MAX_BODY_BYTES = 64 * 1024;

export function replier(res: ServerResponse): Reply {
  return (status, body) => {
    const text = JSON.stringify(body, null, 2) + '\n';
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };
}

/** A JSON request body, at most MAX_BODY_BYTES; undefined for an empty one. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new RequestError(400, 'the request body is not JSON');
  }
}

/** A request refused with its HTTP status and a message saying why. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

