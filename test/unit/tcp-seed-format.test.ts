import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { escapeLine, formatSessionText, isTextSession, loadSessionSeeds, parseSeedFile, parseSessionText, SeedFormatError, unescapeLine } from '../../strategies/tcp/seed-format.js';
import { byteString, sessionArb } from '../helpers/tcp.js';

describe('the text form of a session', () => {
  it('reads messages, directives, escapes and comments', () => {
    const text = [
      '# seccomplete session',
      '# set then get, over two connections',
      '@mode pipelined',
      '@endpoint 2',
      'set k 0 0 5\\r\\nhello\\r\\n',
      '',
      '@conn 1',
      '@pause 200',
      'get k\\r\\n',
      '\\x40not a directive\\x00\\t\\\\',
      '  spaces stay  ',
    ].join('\n');
    expect(parseSessionText(text)).toEqual({
      mode: 'pipelined',
      endpoint: 2,
      messages: [
        { conn: 0, data: 'set k 0 0 5\r\nhello\r\n' },
        { conn: 1, data: 'get k\r\n', pauseMs: 200 },
        { conn: 1, data: '@not a directive\0\t\\' },
        { conn: 1, data: '  spaces stay  ' },
      ],
    });
  });

  it('does not send the line break that ends a line, LF or CRLF alike', () => {
    expect(parseSessionText('# seccomplete session\r\nstats\r\nquit\\r\\n\r\n').messages.map((m) => m.data)).toEqual(['stats', 'quit\r\n']);
    expect(parseSessionText('# seccomplete session\nstats').messages).toEqual([{ conn: 0, data: 'stats' }]);
  });

  it('keeps bytes 0x80-0xff written as they are (the file is latin1)', () => {
    expect(parseSeedFile(Buffer.from('# seccomplete session\nA\xe9\xff\n', 'latin1')).messages[0]!.data).toBe('A\xe9\xff');
  });

  it('names the line of a mistake', () => {
    const cases: [string, RegExp][] = [
      ['a\\qb', /line 2: bad escape \\q/],
      ['a\\x4', /line 2: bad escape \\x4/],
      ['trailing\\', /line 2: bad escape \\ at the end/],
      ['@conn 99', /line 2: @conn takes a whole number from 0 to 31/],
      ['@pause soon', /line 2: @pause/],
      ['@mode sideways', /line 2: @mode sideways: the modes are/],
      ['@frobnicate 1', /line 2: unknown directive @frobnicate/],
      ['@conn', /line 2: '@conn': a directive is @NAME VALUE/],
    ];
    for (const [line, message] of cases) {
      const parse = () => parseSessionText(`# seccomplete session\n${line}\nx\n`);
      expect(parse, line).toThrow(SeedFormatError);
      expect(parse, line).toThrow(message);
    }
    expect(() => parseSessionText('# seccomplete session\n@mode pipelined\n@mode reset\nx')).toThrow(/line 3: @mode is given twice/);
    expect(() => parseSessionText('# seccomplete session\n# only a comment\n\n')).toThrow(/no message/);
  });

  it('needs the header line exactly; anything else is a raw seed, sent as it is', () => {
    expect(isTextSession(Buffer.from('# seccomplete session\n'))).toBe(true);
    expect(isTextSession(Buffer.from('# seccomplete session'))).toBe(true);
    expect(isTextSession(Buffer.from('# seccomplete sessions\n'))).toBe(false);
    expect(isTextSession(Buffer.from(' # seccomplete session\n'))).toBe(false);
    expect(parseSeedFile(Buffer.from('stats\r\n'))).toEqual({ messages: [{ conn: 0, data: 'stats\r\n' }] });
    expect(parseSeedFile(Buffer.from([0x80, 0x0a, 0, 0, 0xff]))).toEqual({ messages: [{ conn: 0, data: '\x80\n\0\0\xff' }] });
    expect(() => parseSeedFile(Buffer.alloc(0))).toThrow(/empty/);
  });

  it('escapes any bytes into one line that reads back as the same bytes', () => {
    fc.assert(
      fc.property(byteString({ minLength: 1 }), (data) => {
        const line = escapeLine(data);
        expect(line).not.toMatch(/[\r\n]/);
        expect(line).toMatch(/^[^#@]/);
        expect(unescapeLine(line)).toBe(data);
      }),
      { numRuns: 500 },
    );
  });

  it('writes any session in the text form that parses back to the same session', () => {
    fc.assert(
      fc.property(sessionArb, (session) => {
        const text = formatSessionText(session);
        expect(parseSeedFile(Buffer.from(text, 'latin1'))).toEqual(session);
      }),
      { numRuns: 300 },
    );
  });
});

describe('seed directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-tcp-seeds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every file in name order, skips a corrupt one with a warning naming FILE:LINE, and refuses a missing directory', () => {
    writeFileSync(join(dir, 'b.txt'), '# seccomplete session\nget k\\r\\n\n');
    writeFileSync(join(dir, 'a.bin'), Buffer.from([1, 2, 3]));
    writeFileSync(join(dir, 'c.txt'), '# seccomplete session\nfine\nbad \\z escape\n');
    writeFileSync(join(dir, 'd.empty'), '');
    writeFileSync(join(dir, '.hidden'), 'ignored');
    const warnings: string[] = [];
    const sessions = loadSessionSeeds([dir], (w) => warnings.push(w));
    expect(sessions).toEqual([{ messages: [{ conn: 0, data: '\x01\x02\x03' }] }, { messages: [{ conn: 0, data: 'get k\r\n' }] }]);
    expect(warnings).toEqual([`${join(dir, 'c.txt')}:3: bad escape \\z (there are \\r \\n \\t \\0 \\\\ and \\xHH); file skipped`, expect.stringMatching(/d\.empty: the file is empty/)]);
    expect(() => loadSessionSeeds([join(dir, 'nope')], () => {})).toThrow(UserError);
  });
});
