import { usageError } from '../errors.js';

/** How to tell that a freshly started target is ready for inputs. */
export type ReadySpec =
  | { kind: 'port' } // the instance's {port} accepts TCP connections
  | { kind: 'endpoints' } // every --endpoint answers: TCP and unix accept a connection, a UDP port is bound
  | { kind: 'log'; pattern: RegExp } // a line of the target's stdout/stderr matches
  | { kind: 'delay'; ms: number }; // nothing to watch: wait a fixed time

/** A file rendered with the placeholders into each instance's own workdir. */
export interface TemplateSpec {
  source: string;
  /** path relative to the instance's workdir */
  destination: string;
}

/** What runs under the tracer: a long-running server, or a command run once per input. */
export type TargetSpec = ServerTargetSpec | CommandTargetSpec;

/** Everything needed to start one more instance of a server target. */
export interface ServerTargetSpec {
  kind: 'server';
  /** argv with placeholders, e.g. ['node', 'server.mjs', '--port', '{port}'] */
  command: string[];
  /** 'auto': every instance gets a free port; a number: a fixed port (then --jobs must be 1) */
  port: 'auto' | number;
  ready: ReadySpec;
  readyTimeoutMs: number;
  templates: TemplateSpec[];
  /** extra environment for the target */
  env: Record<string, string>;
  /** `--endpoint` URLs, in order; empty: plain HTTP on {port} */
  endpoints: EndpointSpec[];
}

/** `--endpoint URL`: where the input channels may talk to an instance. */
export type EndpointSpec = NetEndpointSpec | UnixEndpointSpec;

/**
 * `http://`, `https://` and `tcp://` (a TCP port: `transport` absent, as it always was),
 * or `udp://` (datagrams).
 */
export interface NetEndpointSpec {
  transport?: 'udp';
  tls: boolean;
  host: string;
  /** a port placeholder (`{port2}`) or a fixed port number, as written */
  port: string;
}

/** `unix:PATH`: a Unix stream socket; PATH may hold placeholders (`{workdir}/app.sock`). */
export interface UnixEndpointSpec {
  transport: 'unix';
  path: string;
}

export const isUnixEndpoint = (e: EndpointSpec): e is UnixEndpointSpec => e.transport === 'unix';
/** the text of an endpoint that placeholders are rendered in (its port, or its socket path) */
export const endpointText = (e: EndpointSpec): string => (isUnixEndpoint(e) ? e.path : e.port);

/** A program run once per input, each time in a fresh working directory. */
export interface CommandTargetSpec {
  kind: 'command';
  /** the program and the user's fixed arguments; each input appends its own */
  command: string[];
  /** extra environment for every run (the env strategy varies it further) */
  env: Record<string, string>;
  /** where `sample` file contents are looked up (corpus/files and --seeds directories) */
  sampleDirs: string[];
  /** runs in a mount namespace where only the job's own directories are writable (see FsSandbox) */
  sandbox: boolean;
}

/**
 * Per-instance values substituted for `{port}`, `{workdir}` and, in --template files,
 * `{generation}`: 0 at start, one more each time a lifecycle input re-renders the
 * templates before a reload, so that the reloaded configuration really differs.
 * `{port1}` is `{port}`; `{port2}`, `{port3}`… are further ports of the same instance.
 */
export interface Placeholders {
  /** the instance's ports: ports[0] is {port} and {port1} */
  ports: readonly number[];
  workdir: string;
  generation?: number;
}

const PLACEHOLDER = /\{(port\d*|workdir|generation)\}/g;
const PORT_PLACEHOLDER = /\{port(\d*)\}/g;
/** more ports than any real server listens on: a typo ({port100}) is caught, not obeyed */
export const MAX_PORTS = 16;

export function renderPlaceholders(text: string, values: Placeholders): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'workdir') return values.workdir;
    if (name === 'generation') return String(values.generation ?? 0);
    const port = values.ports[portIndex(name)];
    return port === undefined ? whole : String(port);
  });
}

/** `port` and `port1` are index 0, `port2` index 1… */
function portIndex(name: string): number {
  const n = name.slice('port'.length);
  return n === '' ? 0 : Number(n) - 1;
}

/** How many distinct ports the texts name ({port} alone: 1; none at all: 1, the primary). */
export function portsNeeded(texts: readonly string[]): number {
  let most = 1;
  for (const text of texts) {
    for (const m of text.matchAll(PORT_PLACEHOLDER)) {
      const n = m[1] === '' ? 1 : Number(m[1]);
      if (!Number.isInteger(n) || n < 1 || n > MAX_PORTS) throw usageError(`{port${m[1]}}: port placeholders go from {port1} to {port${MAX_PORTS}}`);
      most = Math.max(most, n);
    }
  }
  return most;
}

export function usesPortPlaceholder(texts: readonly string[]): boolean {
  return texts.some((t) => /\{port\d*\}/.test(t));
}

const ENDPOINT_FORMS = 'http://HOST:PORT, https://HOST:PORT, tcp://HOST:PORT, udp://HOST:PORT or unix:PATH';

/**
 * `--endpoint http://127.0.0.1:{port}`, `https://localhost:{port2}`, `tcp://127.0.0.1:{port}`
 * (the same as http:// for the channels: a TCP port), `udp://127.0.0.1:{port}`,
 * `unix:{workdir}/app.sock`.
 */
export function parseEndpointOption(text: string): EndpointSpec {
  if (text.startsWith('unix:')) {
    const socketPath = text.slice('unix:'.length);
    if (socketPath === '' || socketPath.startsWith('//')) {
      throw usageError(`--endpoint '${text}': a unix endpoint is unix:PATH (no //), e.g. unix:{workdir}/app.sock`);
    }
    portsNeeded([socketPath]);
    return { transport: 'unix', path: socketPath };
  }
  const m = /^(https?|tcp|udp):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\{port\d*\}|\d{1,5})\/?$/.exec(text);
  if (!m) {
    throw usageError(`--endpoint expects ${ENDPOINT_FORMS}; got '${text}'`, 'e.g. --endpoint http://127.0.0.1:{port} --endpoint udp://127.0.0.1:{port2} --endpoint unix:{workdir}/app.sock');
  }
  const port = m[3] as string;
  if (!port.startsWith('{') && (Number(port) < 1 || Number(port) > 65535)) throw usageError(`--endpoint ${text}: port ${port} is out of range`);
  portsNeeded([port]);
  const host = (m[2] as string).replace(/^\[|\]$/g, '');
  if (m[1] === 'udp') return { transport: 'udp', tls: false, host, port };
  return { tls: m[1] === 'https', host, port };
}

/** `--template SRC=DEST`: DEST must stay inside the workdir. */
export function parseTemplateOption(text: string): TemplateSpec {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) {
    throw usageError(`--template expects SRC=DEST, got '${text}'`, 'e.g. --template examples/nginx/nginx.conf=nginx.conf');
  }
  const source = text.slice(0, eq);
  const destination = text.slice(eq + 1);
  if (destination.startsWith('/') || destination.split('/').includes('..')) {
    throw usageError(`--template destination '${destination}' must be a relative path inside the instance's workdir`);
  }
  return { source, destination };
}

/**
 * `--ready port`, `--ready endpoints`, `--ready /regex/`, `--ready 2s`. Without it: `port`
 * when {port} is used and carries TCP (the default HTTP endpoint, or an --endpoint on
 * {port}); `endpoints` when the endpoints are elsewhere (UDP only, a Unix socket); a
 * one-second delay when there is nothing to watch.
 */
export function parseReadyOption(text: string | undefined, hasPort: boolean, endpoints: readonly EndpointSpec[] = []): ReadySpec {
  if (text === undefined) {
    const tcpOnPort = endpoints.length === 0 || endpoints.some((e) => !isUnixEndpoint(e) && e.transport !== 'udp' && /^\{port1?\}$/.test(e.port));
    if (hasPort && tcpOnPort) return { kind: 'port' };
    if (endpoints.length > 0) return { kind: 'endpoints' };
    return hasPort ? { kind: 'port' } : { kind: 'delay', ms: 1000 };
  }
  if (text === 'port') return { kind: 'port' };
  if (text === 'endpoints') {
    if (endpoints.length === 0) throw usageError('--ready endpoints waits for the --endpoint addresses; none was given');
    return { kind: 'endpoints' };
  }
  const slash = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (slash) {
    try {
      return { kind: 'log', pattern: new RegExp(slash[1] ?? '', slash[2]) };
    } catch (err) {
      throw usageError(`--ready: invalid regular expression ${text}: ${(err as Error).message}`);
    }
  }
  const delay = /^(\d+)(ms|s)$/.exec(text);
  if (delay) return { kind: 'delay', ms: Number(delay[1]) * (delay[2] === 's' ? 1000 : 1) };
  throw usageError(`--ready expects 'port', 'endpoints', a /regex/ matched against the target's output, or a delay like 2s; got '${text}'`);
}
