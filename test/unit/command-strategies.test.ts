import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Invocation, ProcessResult } from '../../src/command/invocation.js';
import { parseHelpText } from '../../src/command/grammar/index.js';
import { createCommandStrategy, loadInvocationSeeds, shellWords, COMMAND_CHANNELS, type CommandVocabulary } from '../../strategies/command/index.js';
import { featuresOf, messageShape, signatureOf } from '../../strategies/command/deliver.js';
import { describeInvocation, validateInvocation } from '../../strategies/command/input.js';
import { targetKindOfStrategies } from '../../strategies/index.js';
import { createRng, sample } from '../../src/util/rng.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'help');

function vocabulary(program: string): CommandVocabulary {
  const parsed = parseHelpText(readFileSync(join(FIXTURES, `${program}.help.txt`), 'utf8'));
  return {
    program,
    grammar: { program, options: parsed.options, positionals: parsed.positionals, subcommands: parsed.subcommands, sources: ['--help'], envVars: parsed.envVars },
    samples: ['sample.txt', 'sample.txt.xz'],
    programEnv: parsed.envVars,
  };
}

const PROGRAMS = ['gzip', 'tar', 'grep'] as const;

/** Every argument that names a generated path names one the invocation creates (or one missing on purpose). */
function namesResolve(inv: Invocation): boolean {
  const names = new Set(inv.files.map((f) => f.name));
  return inv.args.every((a) => {
    const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : a;
    if (!/^(f|d)\d+/.test(value)) return true;
    return names.has(value) || value.startsWith('missing');
  });
}

describe('command channels', () => {
  for (const program of PROGRAMS) {
    for (const channel of COMMAND_CHANNELS) {
      it(`${program}/${channel}: fresh and mutated inputs are valid, and name only files they create`, () => {
        const v = vocabulary(program);
        const s = createCommandStrategy(channel, v);
        fc.assert(
          fc.property(s.arbitrary(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (input, seed) => {
            expect(validateInvocation(JSON.parse(JSON.stringify(input)))).toEqual(input);
            expect(namesResolve(input)).toBe(true);
            const rng = createRng(seed);
            let m = input;
            for (let i = 0; i < 6; i++) m = s.mutate(m, rng, sample(s.arbitrary(), rng));
            expect(() => validateInvocation(JSON.parse(JSON.stringify(m)))).not.toThrow();
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('uses the mined grammar: grep gets its own options and a pattern before the files', () => {
    const s = createCommandStrategy('args', vocabulary('grep'));
    const seen = new Set<string>();
    const rng = createRng(1);
    for (let i = 0; i < 400; i++) for (const a of sample(s.arbitrary(), rng).args) seen.add(a.split('=')[0] as string);
    for (const option of ['--color', '-i', '--max-count', '-r']) expect([...seen].some((a) => a === option || a.startsWith(option)), option).toBe(true);
  });

  it('the same seed gives the same inputs (runs are reproducible)', () => {
    const s = createCommandStrategy('files', vocabulary('tar'));
    const a = Array.from({ length: 20 }, (_, i) => sample(s.arbitrary(), createRng(i)));
    const b = Array.from({ length: 20 }, (_, i) => sample(s.arbitrary(), createRng(i)));
    expect(b).toEqual(a);
  });

  it('share one family: any of them may vary an entry another found', () => {
    const v = vocabulary('gzip');
    expect(new Set(COMMAND_CHANNELS.map((c) => createCommandStrategy(c, v).family))).toEqual(new Set(['invocation']));
  });
});

describe('invocation validation', () => {
  const ok: Invocation = { args: ['-c', 'f1.txt'], stdin: { from: 'null' }, env: { LANG: 'C', TZ: null }, files: [{ type: 'file', name: 'f1.txt', content: { kind: 'text', seed: 1, size: 10 } }] };

  it('accepts a well-formed invocation as it is', () => {
    expect(validateInvocation(ok)).toEqual(ok);
  });

  it.each([
    ['a path out of the working directory', { ...ok, files: [{ type: 'file', name: '../x', content: { kind: 'text', seed: 1, size: 1 } }] }, /inside the working directory/],
    ['an absolute file name', { ...ok, files: [{ type: 'file', name: '/etc/passwd', content: { kind: 'text', seed: 1, size: 1 } }] }, /inside the working directory/],
    ['a symlink out of the working directory', { ...ok, files: [{ type: 'symlink', name: 'l', target: '/etc/shadow' }] }, /must stay inside/],
    ['an unknown content kind', { ...ok, files: [{ type: 'file', name: 'a', content: { kind: 'rar', seed: 1, size: 1 } }] }, /kind must be one of/],
    ['a huge size', { ...ok, files: [{ type: 'file', name: 'a', content: { kind: 'text', seed: 1, size: 2 ** 40 } }] }, /size must be a whole number/],
    ['a NUL in an argument', { ...ok, args: ['a\0b'] }, /NUL/],
    ['a non-string argument', { ...ok, args: [1] }, /args\[0\] is not a string/],
    ['a bad variable name', { ...ok, env: { 'A-B': 'x' } }, /not a variable name/],
    ['a bad stdin', { ...ok, stdin: { from: 'socket' } }, /stdin.from/],
  ])('rejects %s', (_what, raw, message) => {
    expect(() => validateInvocation(raw)).toThrow(message);
  });

  it('describes an invocation on one line, quoting what a shell would need quoted', () => {
    const line = describeInvocation({ ...ok, args: ['-e', 'a b', "it's"] }, 'grep');
    expect(line).toBe(`grep -e 'a b' 'it'\\''s' [LANG=C -TZ] {f1.txt: text 10B}`);
  });
});

describe('shell words for .args seed files', () => {
  it('splits as a shell would, without expanding anything', () => {
    expect(shellWords(`-c 'a b' "x\\"y" z\\ w $HOME`)).toEqual(['-c', 'a b', 'x"y', 'z w', '$HOME']);
    expect(shellWords(`''`)).toEqual(['']);
    expect(() => shellWords(`'open`)).toThrow(/unterminated/);
  });

  it('gives back plain words joined by blanks', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9_.\/=-]+$/), { maxLength: 8 }), (words) => {
        expect(shellWords(words.join(' '))).toEqual(words);
      }),
    );
  });

  it('loads .args lines and invocation*.json files from a --seeds directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sctest-seeds-'));
    writeFileSync(join(dir, 'build.args'), '# the build step\n-9 -c notes.txt\n\n--list archive.gz\n');
    writeFileSync(join(dir, 'invocation-1.json'), JSON.stringify({ args: ['-t', 'a.gz'], stdin: { from: 'null' }, env: {}, files: [] }));
    writeFileSync(join(dir, 'sample.bin'), 'sample content, not an invocation');
    expect(loadInvocationSeeds([dir]).map((i) => i.args)).toEqual([['-9', '-c', 'notes.txt'], ['--list', 'archive.gz'], ['-t', 'a.gz']]);
    writeFileSync(join(dir, 'invocation-2.json'), JSON.stringify({ args: 'oops' }));
    expect(() => loadInvocationSeeds([dir])).toThrow(/invocation-2.json: args must be an array/);
  });
});

describe('what a run tells the fuzzer', () => {
  const run = (r: Partial<ProcessResult>): ProcessResult => ({
    code: 0,
    timedOut: false,
    stdoutDigest: 'aaaa',
    stderrDigest: 'bbbb',
    filesDigest: 'cccc',
    stdoutBytes: 0,
    stderrBytes: 0,
    stderrTail: '',
    stderrHead: '',
    durationMs: 1,
    ...r,
  });
  const inv: Invocation = { args: ['-d', 'f1.gz', 'missing1.txt'], stdin: { from: 'null' }, env: {}, files: [{ type: 'file', name: 'f1.gz', content: { kind: 'gzip', seed: 1, size: 10 } }] };

  it('exit status, signal and timeout are secondary features', () => {
    expect(featuresOf(run({ code: 2 }), inv)).toEqual(['@exit:2', '@output:2:none']);
    expect(featuresOf(run({ code: undefined, signal: 'SIGSEGV' }), inv)).toEqual(['@signal:SIGSEGV', '@output:SIGSEGV:none']);
    expect(featuresOf(run({ timedOut: true }), inv)).toEqual(['@timeout:yes']);
  });

  it('an error message is a state, whatever file names and numbers it carries', () => {
    const a = messageShape('gzip: f1.gz: unexpected end of file\n', inv);
    const b = messageShape('gzip: missing1.txt: unexpected end of file\n', inv);
    expect(a).toBe('gzip: F: unexpected end of file');
    expect(b).toBe(a);
    expect(messageShape('gzip: f1.gz: crc error at byte 1234', inv)).toBe('gzip: F: crc error at byte 0');
    const withStderr = featuresOf(run({ code: 1, stderrBytes: 10, stderrHead: 'gzip: f1.gz: unexpected end of file' }), inv);
    expect(withStderr.filter((f) => f.startsWith('@stderr:'))).toHaveLength(1);
    // chatter at exit 0 (--verbose) is not a state
    expect(featuresOf(run({ code: 0, stderrBytes: 10, stderrHead: 'f1.gz: 50.0% -- replaced' }), inv).some((f) => f.startsWith('@stderr:'))).toBe(false);
  });

  it('the signature compares how it ended and what it wrote, nothing run-specific', () => {
    expect(signatureOf(run({ code: 1, stderrBytes: 5 }))).toBe('exit 1 out:- err:bbbb files:cccc');
    expect(signatureOf(run({ timedOut: true }))).toBe('timeout');
  });
});

describe('target kind from --strategies', () => {
  it('is a command for args/files/stdin/env, a server otherwise, and never both', () => {
    expect(targetKindOfStrategies(['args', 'env'])).toBe('command');
    expect(targetKindOfStrategies(['http', 'signals'])).toBe('server');
    expect(() => targetKindOfStrategies(['http', 'args'])).toThrow(/mixes command channels \(args\) with server channels \(http\)/);
  });
});

describe('documented examples as seeds', () => {
  it("takes the everyday invocations from --help and man, not synopses or prose", async () => {
    const { extractExamples } = await import('../../src/command/grammar/examples.js');
    const tarHelp = readFileSync(join(FIXTURES, 'tar.help.txt'), 'utf8');
    expect(extractExamples(tarHelp, 'tar')).toEqual([['-cf', 'archive.tar', 'foo', 'bar'], ['-tvf', 'archive.tar'], ['-xf', 'archive.tar']]);
    expect(extractExamples(readFileSync(join(FIXTURES, 'grep.help.txt'), 'utf8'), 'grep')).toEqual([['-i', 'hello world', 'menu.h', 'main.c']]);
    expect(extractExamples(readFileSync(join(FIXTURES, 'gzip.man.txt'), 'utf8'), 'gzip')).toEqual([]);
    // nothing that would make a seed write outside its working directory
    expect(extractExamples('  tar -C /usr/local -xzf x.tgz\n  tar -xf ../up.tar\n  tar -cf out.tar ~/src\n  tar -xf ok.tar | less\n', 'tar')).toEqual([]);
  });

  it('gives the files an example names the kinds their names suggest', async () => {
    const { exampleInvocation } = await import('../../strategies/command/examples.js');
    const inv = exampleInvocation(['-cf', 'archive.tar', 'foo', 'bar']);
    expect(inv.args).toEqual(['-cf', 'archive.tar', 'foo', 'bar']);
    expect(inv.files.map((f) => [f.name, f.type === 'file' ? f.content.kind : f.type])).toEqual([
      ['archive.tar', 'tar'],
      ['foo', 'text'],
      ['bar', 'text'],
    ]);
    expect(exampleInvocation(['-i', 'hello world', 'menu.h']).files.map((f) => f.name)).toEqual(['menu.h']);
    expect(exampleInvocation(['--file=a.tar.gz', '-x']).files.map((f) => (f.type === 'file' ? f.content.kind : ''))).toEqual(['tar.gz']);
    expect(() => validateInvocation(inv)).not.toThrow();
  });
});
