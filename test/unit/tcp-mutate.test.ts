import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { EndpointSpec } from '../../src/target/spec.js';
import { createRng, sample } from '../../src/util/rng.js';
import { checkStrategyEndpoints, createServerStrategies, mutableKnowledge, STRATEGY_NAMES } from '../../strategies/index.js';
import { Dictionary } from '../../strategies/tcp/dictionary.js';
import { sessionArbitrary, type Material } from '../../strategies/tcp/generate.js';
import { createTcpStrategy, createUdpStrategy, type SessionStrategy } from '../../strategies/tcp/index.js';
import { havocOneMessage, mutateSession, MUTATE_MAX_MESSAGES } from '../../strategies/tcp/mutate.js';
import { describeSession, MAX_MESSAGES, validateSession, type SessionInput } from '../../strategies/tcp/session.js';
import { TokenCursor } from '../../strategies/tcp/sweep.js';
import { sessionArb } from '../helpers/tcp.js';

const work = mkdtempSync(join(tmpdir(), 'sc-tcp-mutate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const material = (tokens: string[] = ['stats', 'watch', 'lru_crawler', 'STORED']): Material => ({
  seedMessages: ['set k 0 0 5\r\nhello\r\n', 'get k\r\n', 'stats\r\n'],
  dictionary: new Dictionary({ program: tokens }),
  eol: '\r\n',
  prefix: '',
});
const roundTrip = (input: SessionInput) => validateSession(JSON.parse(JSON.stringify(input)));

describe('the session model', () => {
  it('refuses what a corpus file must not hold, saying what is wrong', () => {
    const bad: [unknown, RegExp][] = [
      [null, /"messages" array/],
      [{ messages: [] }, /1 to 64 messages/],
      [{ messages: [{ conn: 0, data: '' }] }, /non-empty latin1/],
      [{ messages: [{ conn: 0, data: 'snow\u2603' }] }, /latin1/],
      [{ messages: [{ conn: 32, data: 'x' }] }, /"conn" must be an integer from 0 to 31/],
      [{ messages: [{ conn: 0, data: 'x', pauseMs: 5000 }] }, /"pauseMs"/],
      [{ messages: [{ conn: 0, data: 'x' }], mode: 'sideways' }, /"mode" must be one of/],
      [{ messages: [{ conn: 0, data: 'x' }], endpoint: -1 }, /"endpoint"/],
      [{ messages: Array.from({ length: MAX_MESSAGES + 1 }, () => ({ conn: 0, data: 'x' })) }, /1 to 64 messages/],
    ];
    for (const [value, message] of bad) expect(() => validateSession(value), JSON.stringify(value)?.slice(0, 60)).toThrow(message);
  });

  it('leaves the defaults out, so one session has one corpus id', () => {
    expect(validateSession({ messages: [{ conn: 0, data: 'x', pauseMs: 0 }], mode: 'sequential', endpoint: 0 })).toEqual({ messages: [{ conn: 0, data: 'x' }] });
  });

  it('describes a session in one line', () => {
    expect(describeSession({ messages: [{ conn: 0, data: 'stats\r\n' }] })).toBe('"stats\\r\\n" 7 B');
    expect(
      describeSession({
        messages: [
          { conn: 0, data: 'a' },
          { conn: 1, data: 'b' },
          { conn: 1, data: 'c' },
        ],
        mode: 'pipelined',
        endpoint: 1,
      }),
    ).toBe('"a" +2 msgs, 2 conns, 3 B [pipelined, endpoint 1]');
  });
});

describe('mutations', () => {
  it('keep any session valid through a JSON round trip (what a corpus file holds)', () => {
    fc.assert(
      fc.property(sessionArb, sessionArb, fc.integer(), fc.boolean(), (input, other, seed, withDictionary) => {
        const m = withDictionary ? material() : { ...material(), dictionary: new Dictionary() };
        const rng = createRng(seed);
        let session = input;
        for (let i = 0; i < 6; i++) {
          session = mutateSession(session, rng, m, rng.chance(0.5) ? other : undefined);
          expect(roundTrip(session)).toEqual(session);
        }
        expect(session.messages.length).toBeLessThanOrEqual(Math.max(MUTATE_MAX_MESSAGES, input.messages.length, other.messages.length));
      }),
      { numRuns: 300 },
    );
  });

  it('keep message boundaries: byte havoc changes one message and leaves the others as they were', () => {
    fc.assert(
      fc.property(sessionArb, fc.integer(), (input, seed) => {
        const out = havocOneMessage(input.messages, createRng(seed), material());
        expect(out).toHaveLength(input.messages.length);
        const changed = out.filter((m, i) => m.data !== input.messages[i]!.data || m.conn !== input.messages[i]!.conn);
        expect(changed.length).toBeLessThanOrEqual(1);
        expect(out.every((m, i) => m.conn === input.messages[i]!.conn && m.data.length > 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('are the same for the same seed', () => {
    const input: SessionInput = { messages: [{ conn: 0, data: 'set k 0 0 5\r\nhello\r\n' }, { conn: 1, data: 'get k\r\n' }] };
    const run = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 50 }, () => mutateSession(input, rng, material()));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('insert the dictionary sweep\'s tokens, one by one, as messages of their own into corpus entries', () => {
    // words the material does not hold: only the cursor puts them in
    const cursor = new TokenCursor(['zz_one', 'zz_two', 'zz_three']);
    const input: SessionInput = { messages: [{ conn: 1, data: 'get k\r\n' }] };
    const rng = createRng(5);
    const inserted: string[] = [];
    for (let i = 0; i < 200 && !cursor.done; i++) {
      const out = mutateSession(input, rng, material(), undefined, () => cursor.next());
      expect(roundTrip(out)).toEqual(out);
      const extra = out.messages.filter((m) => m.data.startsWith('zz_'));
      if (extra.length > 0) {
        expect(out.messages).toHaveLength(2);
        expect(extra[0]!.conn).toBe(1);
        inserted.push(extra[0]!.data);
      }
    }
    expect(inserted).toEqual(['zz_one\r\n', 'zz_two\r\n', 'zz_three\r\n']);
  });

  it('insert and replace dictionary words, reorder, split and splice messages', () => {
    const input: SessionInput = { messages: [{ conn: 0, data: 'get k\r\n' }, { conn: 0, data: 'set k 0 0 5\r\nhello\r\n' }] };
    const other: SessionInput = { messages: [{ conn: 2, data: 'OTHER\r\n' }] };
    const rng = createRng(7);
    const seen = Array.from({ length: 3000 }, () => mutateSession(input, rng, material(['lru_crawler']), other));
    const datas = seen.flatMap((s) => s.messages.map((m) => m.data));
    expect(datas.some((d) => /^lru_crawler\b/.test(d)), 'a word replaced by a token').toBe(true);
    expect(datas.some((d) => /(^| )lru_crawler /.test(d) || / lru_crawler(\r|$)/.test(d)), 'a token inserted as a word').toBe(true);
    expect(datas.some((d) => /4294967295|18446744073709551615|-1/.test(d)), 'an interesting number').toBe(true);
    expect(seen.some((s) => s.messages[0]!.data.startsWith('set k')), 'reordered').toBe(true);
    expect(seen.some((s) => s.messages.some((m) => m.data === 'set k 0 0 5\r\n')), 'split at a line break').toBe(true);
    expect(seen.some((s) => s.messages.some((m) => m.data === 'OTHER\r\n')), 'spliced with the other entry').toBe(true);
    expect(seen.some((s) => s.messages.length === 1), 'a message deleted').toBe(true);
    expect(seen.some((s) => s.messages.length > 2), 'a message inserted or duplicated').toBe(true);
    expect(seen.some((s) => new Set(s.messages.map((m) => m.conn)).size > 1), 'moved to another connection').toBe(true);
    expect(seen.some((s) => s.mode !== undefined), 'another delivery mode').toBe(true);
  });
});

describe('fresh sessions', () => {
  it('are valid, from the seeds and the dictionary, or from nothing at all', () => {
    for (const m of [material(), { seedMessages: [], dictionary: new Dictionary(), eol: '\r\n', prefix: '' }]) {
      fc.assert(
        fc.property(sessionArbitrary(m), (session) => {
          expect(roundTrip(session)).toEqual(session);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('start with the dictionary sweep: every token alone, best first', () => {
    const dictFile = join(work, 'user.dict');
    writeFileSync(dictFile, '"watch"\n"lru_crawler"\n');
    const strategy = createTcpStrategy({ seedDirs: [], dictFiles: [dictFile], warn: () => {} });
    const rng = createRng(1);
    const fresh = Array.from({ length: 8 }, () => sample(strategy.arbitrary(), rng));
    expect(fresh[0]).toEqual({ messages: [{ conn: 0, data: 'watch\r\n' }] });
    expect(fresh[1]).toEqual({ messages: [{ conn: 0, data: 'lru_crawler\r\n' }] });
    expect(strategy.sweep.done).toBe(true);
    for (const s of fresh) expect(roundTrip(s)).toEqual(s);
  });
});

describe('the tcp and udp strategies', () => {
  it('are registered by name and overlap (they only open connections of their own)', () => {
    expect(STRATEGY_NAMES).toEqual(expect.arrayContaining(['tcp', 'udp']));
    const [tcp, udp] = createServerStrategies(['tcp', 'udp'], { seedDirs: [], knowledge: mutableKnowledge(), dictionary: false, warn: () => {} }) as unknown as SessionStrategy[];
    expect(tcp!.name).toBe('tcp');
    expect(udp!.name).toBe('udp');
    expect(tcp!.overlapping).toBe(true);
    expect(udp!.overlapping).toBe(true);
    expect(tcp!.dictionary.size).toBe(0);
  });

  it('start from the seed sessions', () => {
    const dir = join(work, 'seed-dir');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.txt'), '# seccomplete session\nstats\\r\\n\n');
    const udp = createUdpStrategy({ seedDirs: [dir], dictionary: false });
    expect(udp.seeds()).toEqual([{ messages: [{ conn: 0, data: 'stats\r\n' }] }]);
    expect(udp.validate(udp.seeds()[0])).toEqual(udp.seeds()[0]);
  });

  it('need endpoints they can talk to (a usage error otherwise)', () => {
    const tcp: EndpointSpec = { tls: false, host: '127.0.0.1', port: '{port}' };
    const tls: EndpointSpec = { tls: true, host: '127.0.0.1', port: '{port}' };
    const udp: EndpointSpec = { transport: 'udp', tls: false, host: '127.0.0.1', port: '{port2}' };
    const unix: EndpointSpec = { transport: 'unix', path: '{workdir}/s.sock' };
    expect(() => checkStrategyEndpoints(['tcp'], [])).not.toThrow();
    expect(() => checkStrategyEndpoints(['tcp', 'udp'], [tcp, udp])).not.toThrow();
    expect(() => checkStrategyEndpoints(['tcp'], [unix])).not.toThrow();
    expect(() => checkStrategyEndpoints(['udp'], [])).toThrow(/udp strategy needs a udp endpoint/);
    expect(() => checkStrategyEndpoints(['tcp'], [tls])).toThrow(/tcp strategy needs/);
    expect(() => checkStrategyEndpoints(['tcp'], [udp])).toThrow(UserError);
    expect(() => checkStrategyEndpoints(['http'], [tcp, unix])).toThrow(/http strategy sends to every --endpoint/);
    expect(() => checkStrategyEndpoints(['http', 'signals'], [tcp, tls])).not.toThrow();
  });
});
