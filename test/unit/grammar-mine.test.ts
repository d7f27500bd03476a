import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mineGrammar } from '../../src/command/grammar/index.js';

const scratch = () => readdirSync(tmpdir()).filter((n) => n.startsWith('seccomplete-grammar-')).sort();

describe('mineGrammar on real programs', () => {
  it('gzip: --help, plus man when installed', async () => {
    const before = scratch();
    const g = await mineGrammar('gzip');
    expect(g.program).toBe('gzip');
    expect(g.sources[0]).toBe('--help');
    const by = (n: string) => g.options.find((o) => o.names.includes(n));
    expect(by('-c')).toMatchObject({ arg: 'none' });
    expect(by('--stdout')).toBe(by('-c'));
    expect(by('-S')).toMatchObject({ names: expect.arrayContaining(['-S', '--suffix']), arg: 'required', kind: 'string' });
    expect(by('--rsyncable')).toBeDefined();
    expect(g.positionals).toEqual([{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }]);
    if (g.sources.includes('man')) {
      // the page adds aliases and options --help does not show
      expect(by('-c')!.names).toContain('--to-stdout');
      expect(by('--ascii')).toBeDefined();
    }
    const names = g.options.flatMap((o) => o.names);
    expect(new Set(names).size).toBe(names.length);
    // the scratch directory is gone
    expect(scratch()).toEqual(before);
  });

  it('grep', async () => {
    const g = await mineGrammar('/usr/bin/grep', { timeoutMs: 10_000 });
    expect(g.program).toBe('grep');
    const by = (n: string) => g.options.find((o) => o.names.includes(n));
    expect(by('--color')).toMatchObject({ arg: 'optional', kind: 'choice' });
    expect(by('--color')!.choices).toEqual(expect.arrayContaining(['always', 'never', 'auto']));
    expect(by('-d')).toMatchObject({ kind: 'choice', choices: ['read', 'recurse', 'skip'] });
    expect(by('-m')).toMatchObject({ arg: 'required', kind: 'number' });
    expect(by('-f')).toMatchObject({ arg: 'required', kind: 'file' });
    expect(g.positionals.map((p) => p.metavar)).toEqual(['PATTERNS', 'FILE']);
  });

  it('bzip2 prints its help on stderr', async () => {
    if (!existsSync('/usr/bin/bzip2') && !existsSync('/bin/bzip2')) return;
    const g = await mineGrammar('bzip2');
    expect(g.sources[0]).toBe('--help');
    expect(g.options.find((o) => o.names.includes('--stdout'))).toMatchObject({ names: expect.arrayContaining(['-c', '--stdout']), arg: 'none' });
  });

  it('a missing program gives an empty grammar, no throw', async () => {
    const g = await mineGrammar('/nonexistent/definitely-not-a-program-42');
    expect(g).toEqual({ program: 'definitely-not-a-program-42', options: [], positionals: [], subcommands: [], sources: [] });
    const h = await mineGrammar('definitely-not-a-program-42');
    expect(h.options).toEqual([]);
    expect(h.sources).toEqual([]);
  });

  it('a program that ignores --help and hangs is cut by the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grammar-mine-test-'));
    try {
      const script = join(dir, 'hangs');
      writeFileSync(script, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
      const started = Date.now();
      const g = await mineGrammar(script, { timeoutMs: 300 });
      expect(g).toEqual({ program: 'hangs', options: [], positionals: [], subcommands: [], sources: [] });
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a relative path is resolved before running in the scratch directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grammar-mine-test-'));
    try {
      writeFileSync(join(dir, 'tool'), "#!/bin/sh\necho 'Usage: tool [OPTION]... FILE'\necho '  -q, --quiet   say less'\n", { mode: 0o755 });
      const g = await mineGrammar(relative(process.cwd(), join(dir, 'tool')));
      expect(g.program).toBe('tool');
      expect(g.options).toEqual([{ names: ['-q', '--quiet'], arg: 'none', description: 'say less' }]);
      expect(g.positionals).toEqual([{ metavar: 'FILE', kind: 'file', repeat: false, optional: false }]);
      expect(g.sources).toEqual(['--help']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
