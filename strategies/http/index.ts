import type { Endpoint, Strategy } from '../../src/strategy.js';
import { httpInputArbitrary } from './arbitraries.js';
import { deliverHttp, endpointOf } from './deliver.js';
import { PathDictionary } from './dictionary.js';
import { learnPaths } from './links.js';
import { mutateInput } from './mutate.js';
import { describeInput, findHeader, isRaw, pathOf, validateInput, type HttpInput, type HttpRequest } from './request.js';
import { loadSeeds } from './seeds.js';

export type { HttpInput, HttpRequest, RawRequest, StructuredRequest, HttpVersion, DeliveryMode, Framing } from './request.js';
export { serialize, parseRawRequest, validateInput } from './request.js';
export { deliverHttp, endpointOf, type HttpDelivery, type Exchange } from './deliver.js';
export { ResponseReader, type HttpResponse } from './response.js';

export interface HttpStrategyOptions {
  /** directories of extra seeds, one raw HTTP request per file */
  seedDirs?: string[];
  /** how many learned paths to keep (seed paths are always kept) */
  maxLearnedPaths?: number;
}

/** The HTTP strategy; stateful: it learns paths from every response it delivers. */
export interface HttpStrategy extends Strategy<HttpInput> {
  /** the paths generated and mutated inputs draw from: seeds plus what responses revealed */
  knownPaths(): readonly string[];
}

export function createHttpStrategy(opts: HttpStrategyOptions = {}): HttpStrategy {
  const seedInputs = loadSeeds(opts.seedDirs);
  const seedPaths = seedInputs.flatMap((input) => input.requests.filter((r) => !isRaw(r)).map(pathOf));
  const dictionary = new PathDictionary(
    ['/', ...seedPaths.filter((p) => p.startsWith('/'))],
    opts.maxLearnedPaths,
  );

  return {
    name: 'http',
    // every delivery opens its own connections and leaves the target alone
    overlapping: true,
    arbitrary: () => httpInputArbitrary(dictionary.paths()),
    mutate: (input, rng, other) => mutateInput(input, rng, dictionary.paths(), other),
    async deliver(input, ctx) {
      const { exchanges, ...result } = await deliverHttp(input, ctx);
      const endpoint = endpointOf(input, ctx);
      for (const { request, response } of exchanges) {
        dictionary.learn(learnPaths(response, pathOf(request), ownHost(endpoint, request)));
      }
      return result;
    },
    validate: validateInput,
    describe: describeInput,
    seeds: () => structuredClone(seedInputs),
    knownPaths: () => dictionary.paths(),
  };
}

/** Absolute links count as ours when they name the endpoint, a loopback name, or the Host we sent. */
function ownHost(endpoint: Endpoint, request: HttpRequest): (hostPort: string) => boolean {
  const port = endpoint.port;
  const own = new Set([`${endpoint.host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  const host = isRaw(request) ? undefined : findHeader(request.headers, 'host');
  // a Host without a port means the scheme's default one
  if (host) own.add(host.includes(':') && !host.endsWith(']') ? host : `${host}:${endpoint.tls ? 443 : 80}`);
  return (hostPort) => own.has(hostPort.toLowerCase());
}
