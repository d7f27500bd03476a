import { sample, type Rng } from '../../src/util/rng.js';
import {
  bodyArbitrary,
  framingArbitrary,
  h2PrefaceArbitrary,
  knownPathArbitrary,
  largeHeaderArbitrary,
  requestArbitrary,
} from './arbitraries.js';
import {
  DELIVERY_MODES,
  HTTP_VERSIONS,
  isRaw,
  MAX_ENDPOINT_INDEX,
  MAX_REQUESTS,
  serialize,
  type HttpInput,
  type HttpRequest,
  type StructuredRequest,
} from './request.js';
import {
  DEFAULT_HOST,
  GENERIC_VALUES,
  HEADER_GROUPS,
  HEADER_NAMES,
  HEADER_VALUES,
  INTERESTING_BYTES,
  INTERESTING_TOKENS,
  METHODS,
  PATH_TWEAKS,
} from './vocabulary.js';

/**
 * Variations of a corpus entry. Structured mutations keep a request meaningful (another
 * method, a learned path, one header more); byte-level havoc breaks it on purpose and
 * turns it raw. Every choice goes through `rng`: the same seed gives the same mutation.
 */

/** havoc stops growing a request past this (a 1 MiB body is the largest generated) */
const MAX_RAW_BYTES = 2 * 1024 * 1024;

type RequestMutation = (req: StructuredRequest, rng: Rng, paths: readonly string[]) => void;
type ListMutation = (requests: HttpRequest[], rng: Rng, paths: readonly string[], other?: HttpInput) => HttpRequest[];

export function mutateInput(input: HttpInput, rng: Rng, paths: readonly string[], other?: HttpInput): HttpInput {
  const mutated = mutateRequests(input, rng, paths, other);
  // now and then another way of delivering, or another endpoint (the index wraps around)
  if (rng.chance(0.1)) {
    const mode = rng.pick(DELIVERY_MODES);
    if (mode === 'sequential') delete mutated.mode;
    else mutated.mode = mode;
  }
  if (rng.chance(0.05)) {
    const endpoint = rng.chance(0.5) ? 0 : rng.int(MAX_ENDPOINT_INDEX + 1);
    if (endpoint === 0) delete mutated.endpoint;
    else mutated.endpoint = endpoint;
  }
  return mutated;
}

function mutateRequests(input: HttpInput, rng: Rng, paths: readonly string[], other?: HttpInput): HttpInput {
  let requests: HttpRequest[] = structuredClone(input.requests);
  // stack a few mutations, as AFL's havoc stage does: single steps rarely reach far
  const rounds = 1 + rng.int(3);
  for (let round = 0; round < rounds; round++) {
    const structured = requests.flatMap((r, i) => (isRaw(r) ? [] : [i]));
    const kind = rng.int(10);
    if (kind < 6 && structured.length > 0) {
      const index = rng.pick(structured);
      rng.pick(REQUEST_MUTATIONS)(requests[index] as StructuredRequest, rng, paths);
    } else if (kind < 8) {
      const index = rng.int(requests.length);
      requests[index] = { raw: havoc(serialize(requests[index]!), rng).toString('base64') };
    } else {
      requests = rng.pick(LIST_MUTATIONS)(requests, rng, paths, other);
    }
  }
  const mutated: HttpInput = { requests };
  if (input.mode !== undefined) mutated.mode = input.mode;
  if (input.endpoint !== undefined) mutated.endpoint = input.endpoint;
  return mutated;
}

const REQUEST_MUTATIONS: readonly RequestMutation[] = [
  function changeMethod(req, rng) {
    req.method = rng.pick(METHODS);
  },
  function replacePath(req, rng, paths) {
    if (paths.length > 0) req.path = sample(knownPathArbitrary(paths), rng);
  },
  // a learned path under the current one, or the current one under a learned one
  function extendPath(req, rng, paths) {
    if (paths.length === 0) return;
    const learned = rng.pick(paths).replace(/^\/+/, '');
    const base = req.path.endsWith('/') ? req.path : `${req.path}/`;
    req.path = rng.chance(0.5) ? `${base}${learned}` : `/${learned.replace(/\/?$/, '/')}${req.path.replace(/^\/+/, '')}`;
  },
  function tweakPath(req, rng) {
    req.path = rng.pick(PATH_TWEAKS)(req.path, rng.seed());
  },
  function addHeader(req, rng) {
    const name = rng.pick(HEADER_NAMES);
    req.headers.splice(rng.int(req.headers.length + 1), 0, [name, rng.pick(HEADER_VALUES[name]!)]);
  },
  function removeHeader(req, rng) {
    if (req.headers.length > 0) req.headers.splice(rng.int(req.headers.length), 1);
  },
  function changeHeader(req, rng) {
    const header = req.headers.length > 0 ? rng.pick(req.headers) : undefined;
    if (!header) return void req.headers.push([...DEFAULT_HOST]);
    const known = Object.entries(HEADER_VALUES).find(([n]) => n.toLowerCase() === header[0].toLowerCase())?.[1];
    header[1] = rng.pick(known && rng.chance(0.8) ? known : GENERIC_VALUES);
  },
  function changeVersion(req, rng) {
    req.version = rng.pick(HTTP_VERSIONS);
  },
  function changeFraming(req, rng) {
    const framing = sample(framingArbitrary, rng);
    if (framing === undefined) delete req.framing;
    else req.framing = framing;
    if (req.body === '' && rng.chance(0.7)) req.body = sample(bodyArbitrary, rng) || 'hello';
  },
  // headers that only mean something together (upgrades, a conditional range)
  function addHeaderGroup(req, rng) {
    req.headers.push(...rng.pick(HEADER_GROUPS).map(([n, v]): [string, string] => [n, v]));
  },
  function addLargeHeader(req, rng) {
    req.headers.splice(rng.int(req.headers.length + 1), 0, sample(largeHeaderArbitrary, rng));
  },
  // a second Host, which servers must refuse
  function duplicateHost(req, rng) {
    req.headers.push(['Host', rng.pick(HEADER_VALUES.Host!)]);
  },
  function replaceBody(req, rng) {
    req.body = sample(bodyArbitrary, rng);
  },
  // grow: repeat a slice of the body, or double it
  function growBody(req, rng) {
    if (req.body.length === 0) return void (req.body = 'x'.repeat(1 + rng.int(4096)));
    if (req.body.length >= MAX_RAW_BYTES / 2) return;
    const start = rng.int(req.body.length);
    const slice = rng.chance(0.3) ? req.body : req.body.slice(start, start + 1 + rng.int(256));
    req.body = req.body.slice(0, start) + slice + req.body.slice(start);
  },
  function shrinkBody(req, rng) {
    req.body = rng.chance(0.3) ? '' : req.body.slice(0, rng.int(req.body.length + 1));
  },
];

const LIST_MUTATIONS: readonly ListMutation[] = [
  function duplicateRequest(requests, rng) {
    if (requests.length >= MAX_REQUESTS) return requests;
    const i = rng.int(requests.length);
    return [...requests.slice(0, i + 1), structuredClone(requests[i]!), ...requests.slice(i + 1)];
  },
  function dropRequest(requests, rng) {
    if (requests.length < 2) return requests;
    const i = rng.int(requests.length);
    return requests.filter((_, j) => j !== i);
  },
  function swapRequests(requests, rng) {
    if (requests.length < 2) return requests;
    const i = rng.int(requests.length);
    const j = rng.int(requests.length);
    const swapped = [...requests];
    [swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!];
    return swapped;
  },
  function insertFreshRequest(requests, rng, paths) {
    if (requests.length >= MAX_REQUESTS) return requests;
    const i = rng.int(requests.length + 1);
    return [...requests.slice(0, i), sample(requestArbitrary(paths), rng), ...requests.slice(i)];
  },
  function insertH2Preface(requests, rng) {
    if (requests.length >= MAX_REQUESTS) return requests;
    return [sample(h2PrefaceArbitrary, rng), ...requests];
  },
  // our first requests, then the other entry's last ones (a one-point crossover)
  function spliceWithOther(requests, rng, _paths, other) {
    if (!other || other.requests.length === 0) return requests;
    const head = requests.slice(0, 1 + rng.int(requests.length));
    const tail = other.requests.slice(rng.int(other.requests.length));
    return structuredClone([...head, ...tail].slice(0, MAX_REQUESTS));
  },
];

/** AFL-style havoc on the bytes of one request: a few random edits stacked. */
export function havoc(input: Buffer, rng: Rng): Buffer {
  let bytes: Buffer = Buffer.from(input);
  const edits = 1 + rng.int(8);
  for (let e = 0; e < edits; e++) bytes = rng.pick(BYTE_EDITS)(bytes, rng);
  return bytes.length > 0 ? bytes : Buffer.from([rng.pick(INTERESTING_BYTES)]);
}

type ByteEdit = (bytes: Buffer, rng: Rng) => Buffer;

const insertAt = (bytes: Buffer, at: number, chunk: Buffer): Buffer =>
  bytes.length + chunk.length > MAX_RAW_BYTES ? bytes : Buffer.concat([bytes.subarray(0, at), chunk, bytes.subarray(at)]);

const BYTE_EDITS: readonly ByteEdit[] = [
  function flipBit(bytes, rng) {
    if (bytes.length > 0) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
    return bytes;
  },
  function randomByte(bytes, rng) {
    if (bytes.length > 0) bytes[rng.int(bytes.length)] = rng.int(256);
    return bytes;
  },
  function interestingByte(bytes, rng) {
    if (bytes.length > 0) bytes[rng.int(bytes.length)] = rng.pick(INTERESTING_BYTES);
    return bytes;
  },
  function insertBytes(bytes, rng) {
    const chunk = Buffer.from(Array.from({ length: 1 + rng.int(4) }, () => rng.int(256)));
    return insertAt(bytes, rng.int(bytes.length + 1), chunk);
  },
  function insertToken(bytes, rng) {
    return insertAt(bytes, rng.int(bytes.length + 1), Buffer.from(rng.pick(INTERESTING_TOKENS), 'latin1'));
  },
  function deleteBytes(bytes, rng) {
    if (bytes.length === 0) return bytes;
    const start = rng.int(bytes.length);
    const length = 1 + rng.int(Math.min(16, bytes.length - start));
    return Buffer.concat([bytes.subarray(0, start), bytes.subarray(start + length)]);
  },
  function duplicateChunk(bytes, rng) {
    if (bytes.length === 0) return bytes;
    const start = rng.int(bytes.length);
    const chunk = Buffer.from(bytes.subarray(start, start + 1 + rng.int(32)));
    return insertAt(bytes, rng.int(bytes.length + 1), chunk);
  },
];
