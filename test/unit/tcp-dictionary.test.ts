import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { createRng } from '../../src/util/rng.js';
import { parseAflDict, readAflDicts } from '../../strategies/tcp/afl-dict.js';
import { buildDictionary, Dictionary, framePrefixOf, lineEndingOf, seedCommands, seedTokens } from '../../strategies/tcp/dictionary.js';
import { stringSections } from '../../strategies/tcp/elf.js';
import { mineCommand, plausibleToken, rankTokens, resolveProgram, scoreStrings, sharedLibraries } from '../../strategies/tcp/mine.js';
import { DictionarySweep } from '../../strategies/tcp/sweep.js';
import { inCI, MEMCACHED, memcachedMissing } from '../helpers/tcp.js';

const work = mkdtempSync(join(tmpdir(), 'sc-tcp-dict-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("AFL's dictionary format (--dict)", () => {
  it('reads name="value" and "value" lines, levels, comments and escapes', () => {
    const text = ['# memcached commands', '', 'cmd_get="get"', 'kw@2="lru_crawler"', '"\\x00\\x01binary"', '  quoted = "say \\"hi\\" \\\\ back"  ', 'crlf="\\x0d\\x0a"'].join('\n');
    expect(parseAflDict(text)).toEqual({ tokens: ['get', 'lru_crawler', '\0\x01binary', 'say "hi" \\ back', '\r\n'], problems: [] });
  });

  it('reports each malformed line with its number and keeps the rest', () => {
    const text = ['"ok"', 'no quotes', 'bad="\\q"', 'x="a"b"', '""', `tab="a\tb"`, 'half="\\x4"', '"fine"'].join('\n');
    const { tokens, problems } = parseAflDict(text);
    expect(tokens).toEqual(['ok', 'fine']);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(problems[0]!.reason).toMatch(/name="value"/);
    expect(problems[1]!.reason).toMatch(/bad escape \\q/);
    expect(problems[2]!.reason).toMatch(/unescaped "/);
    expect(problems[3]!.reason).toMatch(/empty/);
    expect(problems[4]!.reason).toMatch(/non-printable byte 0x09/);
  });

  it('reads back any token written in the format', () => {
    const quote = (token: string) =>
      `"${[...token].map((c) => (c === '\\' || c === '"' ? `\\${c}` : c.charCodeAt(0) < 0x20 || c.charCodeAt(0) > 0x7e ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('')}"`;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => Buffer.from(b).toString('latin1')), { maxLength: 10 }), (tokens) => {
        expect(parseAflDict(tokens.map((t, i) => `t${i}=${quote(t)}`).join('\n'))).toEqual({ tokens, problems: [] });
      }),
    );
  });

  it('warns FILE:LINE for a malformed line, and an unreadable file is a usage error', () => {
    const file = join(work, 'user.dict');
    writeFileSync(file, '"stats"\nstats detail\n');
    const warnings: string[] = [];
    expect(readAflDicts([file], (w) => warnings.push(w))).toEqual(['stats']);
    expect(warnings).toEqual([`${file}:2: expected name="value" or "value"; line skipped`]);
    expect(() => readAflDicts([join(work, 'missing.dict')], () => {})).toThrow(UserError);
    expect(() => readAflDicts([join(work, 'missing.dict')], () => {})).toThrow(/--dict .*missing\.dict: cannot read it \(ENOENT\)/);
  });
});

describe('mining words from a binary', () => {
  it('keeps words that look like keywords: one case, few digits, options; not English glue', () => {
    for (const yes of ['stats', 'flush_all', 'lru_crawler', 'STORED', 'CLIENT_ERROR', '--enable-shutdown', 'no-reply', 'x86_64'.replace('x86_64', 'ipv6')]) expect(plausibleToken(yes), yes).toBe(true);
    for (const no of ['the', 'and', 'Stats', 'camelCase', 'x86_64', 'ab', 'a'.repeat(33), 'abc def', '12345', '%llu']) expect(plausibleToken(no), no).toBe(false);
  });

  it('ranks words used in many short strings and names above words of help sentences', () => {
    const scores = new Map<string, number>();
    const strings = ['flush_all', 'lru_crawler_sleep', 'lru_crawler_tocrawl', 'disable the lru crawler for this run because it is not wanted', 'failed: %llu items'];
    scoreStrings(Buffer.from(`\0${strings.join('\0')}\0`, 'latin1'), scores);
    const ranked = rankTokens(scores, 100);
    // in two names and a sentence; ties go to the shorter word
    expect(ranked.slice(0, 2)).toEqual(['lru', 'crawler']);
    expect(ranked.indexOf('lru_crawler')).toBeLessThan(ranked.indexOf('disable'));
    expect(ranked).toContain('flush_all');
    expect(ranked).toContain('tocrawl');
    expect(ranked).toContain('sleep');
    expect(ranked).not.toContain('llu'); // a printf conversion, not a word
    expect(ranked).not.toContain('the');
    expect(ranked.indexOf('flush_all')).toBeLessThan(ranked.indexOf('wanted'));
    expect(rankTokens(scores, 2)).toHaveLength(2);
  });

  it('reads only the string sections of an ELF file, and the whole of anything else', () => {
    expect(stringSections(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    const node = readFileSync(process.execPath);
    const sections = stringSections(node);
    expect(sections?.length).toBeGreaterThan(0);
    expect(sections!.reduce((n, s) => n + s.length, 0)).toBeLessThan(node.length);
    // a truncated header is not ELF to us: the file is read as a whole instead
    expect(stringSections(node.subarray(0, 0x40))).toBeUndefined();
    expect(stringSections(Buffer.concat([node.subarray(0, 0x28), Buffer.alloc(0x18, 0xff)]))).toBeUndefined();
  });

  it('finds the program on PATH and its libraries with ldd', () => {
    expect(resolveProgram('node', { PATH: `/nonexistent:${join(process.execPath, '..')}` })).toBe(process.execPath);
    expect(resolveProgram('no-such-program-here', { PATH: '/usr/bin:/bin' })).toBeUndefined();
    expect(sharedLibraries('/bin/sh').some((l) => /libc\.so/.test(l))).toBe(true);
    expect(sharedLibraries(join(work, 'nothing'))).toEqual([]);
  });

  it('mines a script named on the command line, and warns about what it cannot read', () => {
    const script = join(work, 'server.py');
    writeFileSync(script, 'COMMANDS = {"hello": 1, "frobnicate_widget": 2}\n');
    const warnings: string[] = [];
    const mined = mineCommand(['/nonexistent/interpreter', script, '--port', '{port}'], (w) => warnings.push(w));
    expect(mined.program).toEqual(expect.arrayContaining(['hello', 'frobnicate_widget', 'frobnicate', 'widget', 'COMMANDS']));
    expect(mined.libraries).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/cannot read \/nonexistent\/interpreter \(ENOENT\)/)]);
    const missing: string[] = [];
    expect(mineCommand(['no-such-program-here'], (w) => missing.push(w)).program).toEqual([]);
    expect(missing).toEqual([expect.stringMatching(/cannot find the program 'no-such-program-here'/)]);
  });

  it.skipIf(!inCI && memcachedMissing !== undefined)("finds memcached's command words in its binary, before its libraries' words", () => {
    expect(memcachedMissing, `CI requires memcached: ${memcachedMissing}`).toBeUndefined();
    const mined = mineCommand(['memcached', '-p', '{port}'], () => {});
    for (const word of ['stats', 'flush_all', 'lru_crawler', 'metadump', 'watch', 'verbosity', 'CLIENT_ERROR']) expect(mined.program, word).toContain(word);
    // ranked: the command words are among the first few hundred of about 1500
    for (const word of ['stats', 'lru_crawler', 'watch']) expect(mined.program.indexOf(word), word).toBeLessThan(400);
    expect(mined.libraries.length).toBeGreaterThan(100);
    expect(mined.libraries.filter((t) => mined.program.includes(t))).toEqual([]);
    expect(sharedLibraries(MEMCACHED).some((l) => /libevent/.test(l))).toBe(true);
  });
});

describe('the dictionary', () => {
  it('orders tiers user, program, seeds, libraries, each token once', () => {
    const d = new Dictionary({ libraries: ['ssl', 'get'], seeds: ['get', 'foo'], program: ['stats', 'get'], user: ['stats', 'MAGIC'] });
    expect(d.all()).toEqual(['stats', 'MAGIC', 'get', 'foo', 'ssl']);
    expect(d.tier('program')).toEqual(['get']);
    expect(d.size).toBe(5);
    expect(new Dictionary().pick(createRng(1))).toBeUndefined();
  });

  it('picks by tier weight, the same tokens for the same seed', () => {
    const d = new Dictionary({ user: ['u'], program: ['p'], seeds: ['s'], libraries: ['l'] });
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 1200 }, () => d.pick(rng));
    };
    const picks = draw(3);
    expect(draw(3)).toEqual(picks);
    const count = (t: string) => picks.filter((p) => p === t).length;
    // weights 4:4:3:1
    expect(count('u')).toBeGreaterThan(count('l') * 2);
    expect(count('s')).toBeGreaterThan(count('l') * 1.5);
    expect(count('l')).toBeGreaterThan(30);
  });

  it("takes the seeds' words (commands first), their line ending, and nothing with --no-dict", () => {
    const seeds = [
      { messages: [{ conn: 0, data: 'set greeting 0 0 5\r\nhello\r\n' }, { conn: 1, data: 'get greeting\r\n' }] },
      { messages: [{ conn: 0, data: 'stats\r\n' }] },
    ];
    expect(seedTokens(seeds)).toEqual(['set', 'hello', 'get', 'stats', 'greeting']);
    expect(seedCommands(seeds)).toEqual(['set', 'hello', 'get', 'stats']);
    expect(lineEndingOf(seeds)).toBe('\r\n');
    expect(lineEndingOf([{ messages: [{ conn: 0, data: 'PING\n' }] }])).toBe('\n');
    expect(lineEndingOf([{ messages: [{ conn: 0, data: '\x80\x01' }, { conn: 0, data: '\x81' }] }])).toBe('');
    expect(lineEndingOf([])).toBe('\r\n');
    const warn = () => {};
    expect(buildDictionary({ enabled: false, command: [MEMCACHED], dictFiles: [], seeds, warn }).size).toBe(0);
    expect(buildDictionary({ enabled: true, dictFiles: [], seeds, warn }).all()).toEqual(seedTokens(seeds));
  });
});

describe('a frame header the seeds share', () => {
  it('is the binary run every seed message starts with, when it has the same length in all', () => {
    const frame = (id: number, text: string) => ({ conn: 0, data: `\x00${String.fromCharCode(id)}\x00\x00\x00\x01\x00\x00${text}` });
    expect(framePrefixOf([{ messages: [frame(1, 'get k\r\n'), frame(2, 'stats\r\n')] }])).toBe('\x00\x01\x00\x00\x00\x01\x00\x00');
    expect(framePrefixOf([{ messages: [{ conn: 0, data: 'stats\r\n' }] }])).toBe('');
    expect(framePrefixOf([{ messages: [frame(1, 'a'), { conn: 0, data: '\x00b' }] }])).toBe('');
    expect(framePrefixOf([{ messages: [{ conn: 0, data: '\x80\x81' }] }])).toBe(''); // all binary: no text after a header
    expect(framePrefixOf([])).toBe('');
  });
});

describe('the dictionary sweep', () => {
  it('tries every token alone, then after each command word of the seeds, then stops', () => {
    const sweep = new DictionarySweep(['watch', 'stats', 'conns'], ['stats', 'get'], '\r\n', '', 2);
    const steps: string[] = [];
    for (let s = sweep.next(); s; s = sweep.next()) {
      expect(s.messages).toHaveLength(1);
      steps.push(s.messages[0]!.data);
    }
    expect(steps).toEqual(['watch\r\n', 'stats\r\n', 'conns\r\n', 'stats watch\r\n', 'get watch\r\n', 'get stats\r\n']);
    expect(sweep.done).toBe(true);
    expect(sweep.next()).toBeUndefined();
    expect(new DictionarySweep([], ['stats'], '\n').next()).toBeUndefined();
    expect(new DictionarySweep(['watch'], [], '\r\n', '\x00\x01').next()).toEqual({ messages: [{ conn: 0, data: '\x00\x01watch\r\n' }] });
  });
});
