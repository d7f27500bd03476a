import fc from 'fast-check';
import { transportOf, type DeliveryContext, type Endpoint, type Strategy } from '../../src/strategy.js';
import { deliverDatagrams } from './deliver-datagram.js';
import { deliverStream } from './deliver-stream.js';
import { buildDictionary, framePrefixOf, lineEndingOf, seedCommands, type Dictionary } from './dictionary.js';
import { ReplyFeatures } from './features.js';
import { sessionArbitrary, type Material } from './generate.js';
import { mutateSession } from './mutate.js';
import { loadSessionSeeds } from './seed-format.js';
import { describeSession, validateSession, type SessionInput } from './session.js';
import { DictionarySweep, TokenCursor } from './sweep.js';

export type { Message, SessionInput, SessionMode } from './session.js';
export { SESSION_MODES, validateSession, describeSession } from './session.js';
export { formatSessionText, loadSessionSeeds, parseSeedFile, parseSessionText, SESSION_HEADER } from './seed-format.js';
export { Dictionary } from './dictionary.js';

export interface SessionStrategyOptions {
  /** directories of seed sessions (see seed-format.ts) */
  seedDirs?: readonly string[];
  /** false (`--no-dict`): no dictionary at all, neither mined nor from the seeds nor --dict */
  dictionary?: boolean;
  /** `--dict FILE`: AFL dictionaries */
  dictFiles?: readonly string[];
  /** the target's argv: the program (and files it names) to mine words from */
  command?: readonly string[];
  /** where unreadable seeds, dictionary lines and binaries are reported */
  warn?: (message: string) => void;
}

/** The tcp and udp strategies; stateful: the sweep advances, reply tokens are remembered. */
export interface SessionStrategy extends Strategy<SessionInput> {
  readonly dictionary: Dictionary;
  /** fresh inputs: the dictionary's tokens alone, then after the seeds' commands */
  readonly sweep: DictionarySweep;
  /** mutations: each token once more, inserted into a corpus entry */
  readonly cursor: TokenCursor;
}

type Kind = 'tcp' | 'udp';

/** Messages over TCP connections or Unix stream sockets (the tcp:// and unix: endpoints, and http:// ones, which are TCP too). */
export const createTcpStrategy = (o: SessionStrategyOptions = {}): SessionStrategy => createSessionStrategy('tcp', o);
/** Datagrams to the udp:// endpoints. */
export const createUdpStrategy = (o: SessionStrategyOptions = {}): SessionStrategy => createSessionStrategy('udp', o);

/** Which endpoints a kind of session talks to: tcp takes plain TCP (not TLS) and Unix sockets, udp takes UDP. */
export function acceptsEndpoint(kind: Kind, e: Endpoint): boolean {
  const transport = transportOf(e);
  return kind === 'udp' ? transport === 'udp' : transport === 'unix' || (transport === 'tcp' && e.tls !== true);
}

/** Fresh inputs are steps of the dictionary sweep: all of them while it tries tokens alone, then three of every four. */
const SWEEP_SHARE = 4;

function createSessionStrategy(kind: Kind, o: SessionStrategyOptions): SessionStrategy {
  const warn = o.warn ?? ((message: string) => process.stderr.write(`seccomplete: warning: ${message}\n`));
  const seeds = loadSessionSeeds(o.seedDirs ?? [], warn);
  const dictionary = buildDictionary({ enabled: o.dictionary !== false, command: o.command, dictFiles: o.dictFiles ?? [], seeds, warn });
  const eol = lineEndingOf(seeds);
  const prefix = framePrefixOf(seeds);
  const material: Material = { seedMessages: [...new Set(seeds.flatMap((s) => s.messages.map((m) => m.data)))], dictionary, eol, prefix };
  const sweep = new DictionarySweep(dictionary.all(), dictionary.size > 0 ? seedCommands(seeds) : [], eol, prefix);
  const cursor = new TokenCursor(dictionary.all());
  const random = sessionArbitrary(material);
  const features = new ReplyFeatures();
  let fresh = 0;

  return {
    name: kind,
    overlapping: true,
    dictionary,
    sweep,
    cursor,
    arbitrary() {
      fresh += 1;
      const step = sweep.inFirstStage || fresh % SWEEP_SHARE !== 0 ? sweep.next() : undefined;
      return step ? fc.constant(step) : random;
    },
    mutate: (input, rng, other) => mutateSession(input, rng, material, other, () => cursor.next()),
    async deliver(input, ctx) {
      const endpoint = endpointFor(kind, input, ctx);
      if (!endpoint) {
        const wanted = kind === 'udp' ? 'udp://HOST:PORT' : 'tcp://HOST:PORT or unix:PATH';
        return { signature: 'no-endpoint', transportError: `the ${kind} strategy has no endpoint to talk to: give --endpoint ${wanted}` };
      }
      const outcome = kind === 'udp' ? await deliverDatagrams(input, endpoint, ctx) : await deliverStream(input, endpoint, ctx);
      return {
        signature: outcome.signature,
        features: features.of(outcome.replies),
        ...(outcome.transportError !== undefined ? { transportError: outcome.transportError } : {}),
      };
    },
    validate: validateSession,
    describe: describeSession,
    seeds: () => structuredClone(seeds),
  };
}

/** The endpoint an input talks to: its index, modulo the endpoints this kind accepts. */
export function endpointFor(kind: Kind, input: SessionInput, ctx: DeliveryContext): Endpoint | undefined {
  const all = ctx.endpoints?.length ? ctx.endpoints : [ctx.endpoint];
  const usable = all.filter((e) => acceptsEndpoint(kind, e));
  return usable.length === 0 ? undefined : usable[(input.endpoint ?? 0) % usable.length];
}
