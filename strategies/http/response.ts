/**
 * An incremental HTTP/1.x response reader: feed it bytes as they arrive, it hands back
 * each response as soon as it is complete, so a delivery never waits on an idle socket.
 */

export interface HttpResponse {
  version: string;
  status: number;
  headers: [string, string][];
  /** the decoded body (chunked framing removed), at most `maxBodyBytes` of it */
  body: Buffer;
  /** the full body length, including what was not kept */
  bodyBytes: number;
  /** the server will close after this response (Connection: close, HTTP/1.0, or a close-delimited body) */
  closesConnection: boolean;
}

type State =
  | { kind: 'head' }
  | { kind: 'length'; remaining: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' }
  | { kind: 'until-close' }
  | { kind: 'garbage' };

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: [^\r\n]*)?$/;
const HTTP_PREFIX = Buffer.from('HTTP/');

export class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'head' };
  /** methods of the requests not yet answered, oldest first */
  private readonly methods: string[] = [];
  private current: Omit<HttpResponse, 'body' | 'bodyBytes'> | undefined;
  private bodyParts: Buffer[] = [];
  private kept = 0;
  private bodyBytes = 0;

  constructor(private readonly maxBodyBytes = 256 * 1024) {}

  /** Announces a request sent, by its method: a response to HEAD has no body. */
  expect(method: string): void {
    this.methods.push(method);
  }

  /** The bytes stopped looking like HTTP; nothing more will be parsed. */
  get isGarbage(): boolean {
    return this.state.kind === 'garbage';
  }

  /** Part of a response has arrived but not all of it. */
  get isPartial(): boolean {
    return this.state.kind !== 'head' || this.buffer.length > 0;
  }

  /** Adds received bytes; returns the responses they completed, interim (1xx) ones included. */
  push(chunk: Buffer): HttpResponse[] {
    if (this.state.kind === 'garbage') return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const done: HttpResponse[] = [];
    while (this.step(done));
    return done;
  }

  /** The server closed the connection: this completes a close-delimited body. */
  end(): HttpResponse[] {
    if (this.state.kind !== 'until-close') return [];
    const response = this.complete();
    return response ? [response] : [];
  }

  /** Consumes what it can from the buffer; false when it needs more bytes. */
  private step(done: HttpResponse[]): boolean {
    const state = this.state;
    switch (state.kind) {
      case 'head':
        return this.readHead(done);
      case 'length': {
        const n = Math.min(state.remaining, this.buffer.length);
        this.takeBody(n);
        state.remaining -= n;
        if (state.remaining === 0) done.push(this.complete()!);
        return n > 0 || state.remaining === 0;
      }
      case 'chunk-size': {
        const line = this.takeLine();
        if (line === undefined) return false;
        const size = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,8}$/.test(size)) return this.toGarbage();
        const remaining = parseInt(size, 16);
        this.state = remaining === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining };
        return true;
      }
      case 'chunk-data': {
        const n = Math.min(state.remaining, this.buffer.length);
        this.takeBody(n);
        state.remaining -= n;
        if (state.remaining === 0) this.state = { kind: 'chunk-end' };
        return n > 0;
      }
      case 'chunk-end': {
        const line = this.takeLine();
        if (line === undefined) return false;
        if (line !== '') return this.toGarbage();
        this.state = { kind: 'chunk-size' };
        return true;
      }
      case 'trailers': {
        const line = this.takeLine();
        if (line === undefined) return false;
        if (line === '') done.push(this.complete()!);
        return true;
      }
      case 'until-close':
        this.takeBody(this.buffer.length);
        return false;
      case 'garbage':
        return false;
    }
  }

  private readHead(done: HttpResponse[]): boolean {
    const buf = this.buffer;
    // Decide early, from the first bytes, whether this can be HTTP at all.
    const prefix = Math.min(buf.length, HTTP_PREFIX.length);
    if (!buf.subarray(0, prefix).equals(HTTP_PREFIX.subarray(0, prefix))) return this.toGarbage();
    const end = headEnd(buf);
    if (end < 0) return buf.length > MAX_HEAD_BYTES ? this.toGarbage() : false;
    const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split(/\r?\n/);
    this.buffer = buf.subarray(end);
    const match = STATUS_LINE.exec(statusLine.replace(/\r$/, ''));
    if (!match) return this.toGarbage();
    const headers: [string, string][] = [];
    for (const line of lines) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) return this.toGarbage();
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    const version = match[1]!;
    const status = Number(match[2]);
    const all = (name: string) => headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    const connection = all('connection').join(',').toLowerCase().split(',').map((t) => t.trim());
    const closesConnection = connection.includes('close') || (version === 'HTTP/1.0' && !connection.includes('keep-alive'));
    this.current = { version, status, headers, closesConnection };
    this.bodyParts = [];
    this.kept = 0;
    this.bodyBytes = 0;

    const transferCodings = all('transfer-encoding').join(',').toLowerCase().split(',').map((t) => t.trim());
    const lengths = [...new Set(all('content-length').flatMap((v) => v.split(',').map((t) => t.trim())))];
    if ((status >= 100 && status < 200 && status !== 101) || status === 204 || status === 304 || this.methods[0] === 'HEAD') {
      done.push(this.complete()!);
    } else if (status === 101) {
      // the connection now speaks another protocol: nothing after this is HTTP
      this.current.closesConnection = true;
      done.push(this.complete()!);
      this.state = { kind: 'garbage' };
    } else if (all('transfer-encoding').length > 0) {
      if (transferCodings.at(-1) === 'chunked') this.state = { kind: 'chunk-size' };
      else this.untilClose();
    } else if (lengths.length > 0) {
      const [length] = lengths;
      if (lengths.length > 1 || !/^\d{1,15}$/.test(length!)) return this.toGarbage();
      this.state = { kind: 'length', remaining: Number(length) };
    } else {
      this.untilClose();
    }
    return true;
  }

  private untilClose(): void {
    this.current!.closesConnection = true;
    this.state = { kind: 'until-close' };
  }

  private takeBody(n: number): void {
    const part = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    this.bodyBytes += n;
    const room = this.maxBodyBytes - this.kept;
    if (room <= 0 || n === 0) return;
    // copy: the socket's chunk must not stay alive through a subarray
    const kept = Buffer.from(part.subarray(0, room));
    this.bodyParts.push(kept);
    this.kept += kept.length;
  }

  /** One line without its line break, or undefined until the line is complete. */
  private takeLine(): string | undefined {
    const newline = this.buffer.indexOf(0x0a);
    if (newline < 0) {
      if (this.buffer.length > MAX_LINE_BYTES) this.toGarbage();
      return undefined;
    }
    const line = this.buffer.subarray(0, newline).toString('latin1').replace(/\r$/, '');
    this.buffer = this.buffer.subarray(newline + 1);
    return line;
  }

  private complete(): HttpResponse | undefined {
    const head = this.current;
    if (!head) return undefined;
    this.current = undefined;
    if (this.state.kind !== 'garbage') this.state = { kind: 'head' };
    if (head.status >= 200 || head.status === 101) this.methods.shift(); // interim responses answer nothing yet
    return { ...head, body: Buffer.concat(this.bodyParts), bodyBytes: this.bodyBytes };
  }

  private toGarbage(): false {
    this.state = { kind: 'garbage' };
    this.current = undefined;
    this.buffer = Buffer.alloc(0);
    return false;
  }
}

/** Index just past the blank line ending a head (`\r\n\r\n` or a bare `\n\n`), or -1. */
function headEnd(buf: Buffer): number {
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}
