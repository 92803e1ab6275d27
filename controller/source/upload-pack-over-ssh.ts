/**
 * isomorphic-git fetches only over Git's smart HTTP protocol, which is two requests: GET info/refs (the
 * ref advertisement) and POST git-upload-pack (wants and haves in, the pack out). This HttpClient answers
 * both over SSH, the way Git hosting services serve SSH: each request opens an exec channel running
 * exactly `git-upload-pack '<path>'` (GitHub, GitLab, Gitea and git-shell accept that and nothing else,
 * no `--stateless-rpc`), and the server always starts with the advertisement.
 *  - GET: read the advertisement up to its flush-pkt, prefix the service line smart HTTP has and SSH
 *    does not, and end the channel with a flush-pkt of our own (we want nothing on this channel).
 *    Peeled tag lines (`<commit> refs/tags/v1^{}`) are left out: isomorphic-git would ask for those
 *    commits by id, which a stateless HTTP upload-pack allows when they are reachable, but upload-pack over
 *    SSH refuses for anything but a ref's own object ("not our ref"). The tag objects bring them anyway.
 *  - POST: read and discard the advertisement, send the request body, and hand back the rest of the
 *    channel: ACK/NAK lines and the side-band pack, as an HTTP server would send them.
 * The refs can move between the two channels; then the second upload-pack refuses a want it no longer
 * advertises and the fetch fails as FetchFailed, to be retried, as it would over HTTP.
 */
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import type { ClientChannel } from 'ssh2';
import type { CommandEnd, RemoteCommand } from './git-server-connection.js';

/** What isomorphic-git is given as the remote's URL; `.invalid` never resolves, should anything else ever use it. */
export const UPLOAD_PACK_URL = 'http://git-over-ssh.invalid/repository';

const ADVERTISE = `${UPLOAD_PACK_URL}/info/refs?service=git-upload-pack`;
const UPLOAD = `${UPLOAD_PACK_URL}/git-upload-pack`;
const SERVICE_LINE = Buffer.from('001e# service=git-upload-pack\n0000');
const FLUSH = Buffer.from('0000');
/** More than any real repository's refs; a server sending more is not sending an advertisement. */
const MAX_ADVERTISEMENT_BYTES = 64 * 1024 * 1024;

/** The server would not serve the repository (`RepoNotFound`), or the exchange broke (`FetchFailed`). */
export class UploadPackFailed extends Error {
  constructor(
    readonly code: 'RepoNotFound' | 'FetchFailed',
    message: string,
  ) {
    super(message);
    this.name = 'UploadPackFailed';
  }
}

/** git's sq_quote: single quotes, with each ' and ! closed out and backslash-escaped, as hosting services parse it. */
export function gitQuote(arg: string): string {
  return `'${arg.replace(/['!]/g, (c) => `'\\${c}'`)}'`;
}

export function uploadPackHttp(exec: (command: string) => Promise<RemoteCommand>, path: string): HttpClient {
  const command = `git-upload-pack ${gitQuote(path)}`;
  const open = async (): Promise<Reply> => {
    const reply = new Reply(await exec(command).catch((err: Error) => Promise.reject(new UploadPackFailed('FetchFailed', `could not run ${command}: ${err.message}`))));
    await reply.readAdvertisement(command);
    return reply;
  };
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      if (req.method === 'GET' && req.url === ADVERTISE) {
        const reply = await open();
        reply.finish(FLUSH);
        return response(req, 'application/x-git-upload-pack-advertisement', chunks([SERVICE_LINE, withoutPeeledTags(reply.advertisement)]));
      }
      if (req.method === 'POST' && req.url === UPLOAD) {
        const reply = await open();
        const body: Uint8Array[] = [];
        for await (const chunk of req.body ?? []) body.push(chunk);
        reply.finish(Buffer.concat(body));
        return response(req, 'application/x-git-upload-pack-result', reply.rest(command));
      }
      throw new UploadPackFailed('FetchFailed', `git over SSH has no answer to ${req.method ?? 'GET'} ${req.url}`);
    },
  };
}

function response(req: GitHttpRequest, contentType: string, body: AsyncIterableIterator<Uint8Array>): GitHttpResponse {
  return { url: req.url, method: req.method, statusCode: 200, statusMessage: 'OK', headers: { 'content-type': contentType }, body };
}

async function* chunks(parts: readonly Uint8Array[]): AsyncIterableIterator<Uint8Array> {
  yield* parts;
}

/** What one exec channel of git-upload-pack sends back: the advertisement, the rest, how it ended. */
class Reply {
  advertisement = Buffer.alloc(0);
  readonly #channel: ClientChannel;
  readonly #stdout: AsyncIterator<Buffer>;
  /** Bytes read past the advertisement. */
  #pending = Buffer.alloc(0);
  readonly #ended: Promise<CommandEnd>;

  constructor(command: RemoteCommand) {
    this.#channel = command.channel;
    this.#stdout = command.channel[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.#ended = command.ended;
  }

  /** Reads pkt-lines up to the flush-pkt that ends the advertisement; the server refusing ends the channel first. */
  async readAdvertisement(command: string): Promise<void> {
    let buffer = Buffer.alloc(0);
    for (let at = 0; ; ) {
      while (buffer.length >= at + 4) {
        const length = pktLength(buffer, at);
        if (length === 0) {
          this.advertisement = buffer.subarray(0, at + 4);
          this.#pending = buffer.subarray(at + 4);
          return;
        }
        if (at === 0 && buffer.length >= 8 && buffer.toString('latin1', 4, 8) === 'ERR ') {
          throw new UploadPackFailed('RepoNotFound', `the server refused: ${buffer.toString('utf8', 8, Math.min(at + length, buffer.length)).trim()}`);
        }
        if (buffer.length < at + length) break;
        at += length;
      }
      if (buffer.length > MAX_ADVERTISEMENT_BYTES) throw new UploadPackFailed('FetchFailed', `the ref advertisement is over ${MAX_ADVERTISEMENT_BYTES} bytes`);
      const next = await this.#stdout.next();
      if (next.done) throw await this.#refusal(command, buffer.length);
      buffer = Buffer.concat([buffer, next.value]);
    }
  }

  /** Sends the last bytes the server gets and ends its input. */
  finish(bytes: Buffer): void {
    this.#channel.end(bytes);
  }

  /** Everything after the advertisement; fails at the end unless git-upload-pack exited 0. */
  async *rest(command: string): AsyncIterableIterator<Uint8Array> {
    if (this.#pending.length > 0) yield this.#pending;
    for (;;) {
      const next = await this.#stdout.next();
      if (next.done) break;
      yield next.value;
    }
    const end = await this.#ended;
    if (end.exit !== 0) throw new UploadPackFailed('FetchFailed', `${command} ${describeEnd(end)}`);
  }

  async #refusal(command: string, received: number): Promise<UploadPackFailed> {
    const end = await this.#ended;
    // Nothing at all, and a failure: the server would not serve this path (no such repository, no access).
    if (received === 0 && end.exit !== 0) return new UploadPackFailed('RepoNotFound', `the server refused ${command}: ${describeEnd(end)}`);
    return new UploadPackFailed('FetchFailed', `${command} stopped in the ref advertisement after ${received} bytes: ${describeEnd(end)}`);
  }
}

function describeEnd(end: CommandEnd): string {
  const how = end.exit === undefined ? 'ended without an exit status (connection lost?)' : typeof end.exit === 'number' ? `exited with ${end.exit}` : `was killed by ${end.exit}`;
  const said = end.stderr.trim();
  return said === '' ? how : `${how}: ${said}`;
}

/** The advertisement (whole pkt-lines, ending with the flush-pkt) without its `^{}` lines. */
function withoutPeeledTags(advertisement: Buffer): Buffer {
  const kept: Buffer[] = [];
  for (let at = 0; at < advertisement.length; ) {
    const length = pktLength(advertisement, at) || 4;
    const line = advertisement.subarray(at, at + length);
    if (!/\^\{\}\n?$/.test(line.toString('latin1', 4).split('\0')[0]!)) kept.push(line);
    at += length;
  }
  return Buffer.concat(kept);
}

function pktLength(buffer: Buffer, at: number): number {
  const hex = buffer.toString('latin1', at, at + 4);
  const length = /^[0-9a-f]{4}$/i.test(hex) ? parseInt(hex, 16) : -1;
  if (length === 0 || length >= 4) return length;
  // Output before the protocol (a login banner printed by a shell rc file) lands here too.
  const start = JSON.stringify(buffer.toString('utf8', at, at + 40));
  throw new UploadPackFailed('FetchFailed', `the server's answer is not Git's protocol (it starts ${start})`);
}
