import { lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkSampleName, clearContentCache, contentBytes, defaultSampleDir, MAX_CONTENT_BYTES } from '../../src/command/content.js';
import type { Content, ContentKind } from '../../src/command/invocation.js';
import { ustar } from '../../src/command/tar.js';

const opts = { sampleDirs: [] as string[] };
const bytes = (c: Partial<Content> & { kind: ContentKind }) => contentBytes({ seed: 1, size: 1000, ...c }, opts);
const installed = async (tool: string): Promise<boolean> => (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode === 0;
const utc = { env: { TZ: 'UTC', LC_ALL: 'C' } };
const tempDirs: string[] = [];
const tmp = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-content-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

/** `tar -tvf -` lines reduced to: mode owner size date time name [-> target] */
async function tarList(archive: Buffer, flags = '-tvf'): Promise<string[]> {
  const { stdout } = await execa('tar', [flags, '-'], { input: archive, ...utc });
  return stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
}

describe('ustar writer', () => {
  it('writes archives that GNU tar lists and extracts as written', async () => {
    const archive = ustar([
      { name: 'hello.txt', type: 'file', data: Buffer.from('hello\n') },
      { name: 'sub', type: 'dir' },
      { name: 'sub/run.sh', type: 'file', data: Buffer.alloc(1000, 0x61), mode: 0o755 },
      { name: 'empty', type: 'file' },
      { name: 'link', type: 'symlink', linkname: 'hello.txt' },
    ]);
    expect(archive.length % 512).toBe(0);
    // two zero blocks end it
    expect(archive.subarray(-1024).every((b) => b === 0)).toBe(true);
    expect(await tarList(archive)).toEqual([
      '-rw-r--r-- root/root 6 2020-01-01 00:00 hello.txt',
      'drwxr-xr-x root/root 0 2020-01-01 00:00 sub/',
      '-rwxr-xr-x root/root 1000 2020-01-01 00:00 sub/run.sh',
      '-rw-r--r-- root/root 0 2020-01-01 00:00 empty',
      'lrwxrwxrwx root/root 0 2020-01-01 00:00 link -> hello.txt',
    ]);
    const dir = await tmp();
    await execa('tar', ['-xf', '-', '-C', dir], { input: archive });
    expect(await readFile(path.join(dir, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect((await readFile(path.join(dir, 'sub/run.sh'))).equals(Buffer.alloc(1000, 0x61))).toBe(true);
    expect(await readlink(path.join(dir, 'link'))).toBe('hello.txt');
    expect((await lstat(path.join(dir, 'sub/run.sh'))).mtime.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });

  it('splits long names into prefix and name, and refuses what cannot fit', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
    expect(await tarList(ustar([{ name: long, type: 'file', data: Buffer.from('x') }], { mtime: 0 }))).toEqual([
      `-rw-r--r-- root/root 1 1970-01-01 00:00 ${long}`,
    ]);
    expect(() => ustar([{ name: 'x'.repeat(101), type: 'file' }])).toThrow(/does not fit/);
    expect(() => ustar([{ name: 'l', type: 'symlink', linkname: 'y'.repeat(101) }])).toThrow(/longer than 100/);
    expect(() => ustar([{ name: '', type: 'file' }])).toThrow(/invalid entry name/);
  });
});

describe('content kinds', () => {
  afterEach(() => clearContentCache());

  it('gives exact sizes for the text-like kinds, big ones fast', async () => {
    for (const kind of ['text', 'lines', 'binary', 'large', 'utf8'] as const) {
      for (const size of [0, 1, 7, 4096, 1_500_000]) expect((await bytes({ kind, size })).length).toBe(size);
    }
    await bytes({ kind: 'large', size: 1 << 20, seed: 99 }); // warm the JIT
    const t0 = performance.now();
    const big = await bytes({ kind: 'large', size: 16 << 20, seed: 5 });
    const elapsed = performance.now() - t0;
    expect(big.length).toBe(16 << 20);
    expect(elapsed).toBeLessThan(1000);
    // the repeated blocks are not all equal
    expect(big.subarray(65536, 131072).equals(big.subarray(131072, 196608))).toBe(false);
    expect(big.every((b) => b >= 0x20 || b === 0x0a)).toBe(true);
  });

  it('caps sizes at 64 MiB whatever the input says', async () => {
    expect((await bytes({ kind: 'large', size: 1e15 })).length).toBe(MAX_CONTENT_BYTES);
    expect((await bytes({ kind: 'text', size: -5 })).length).toBe(0);
    expect((await bytes({ kind: 'text', size: Number.NaN })).length).toBe(0);
  });

  it('has the character of each kind', async () => {
    const text = (await bytes({ kind: 'text', size: 5000 })).toString('latin1');
    expect(text).toMatch(/^[\x20-\x7e\n]+$/);
    expect(text.split('\n').length).toBeGreaterThan(20);

    const lines = (await bytes({ kind: 'lines', size: 20_000 })).toString('latin1').split('\n');
    expect(lines.some((l) => l.includes('\t'))).toBe(true);
    expect(new Set(lines).size).toBeLessThan(lines.length); // repeated lines
    const keys = lines.map((l) => /^(\w+)\t/.exec(l)?.[1]).filter(Boolean);
    expect(new Set(keys).size).toBeLessThan(keys.length); // repeated keys

    expect((await bytes({ kind: 'binary', size: 4096 })).includes(0)).toBe(true);

    const decoder = new TextDecoder('utf-8', { fatal: true });
    let valid = 0;
    let invalid = 0;
    for (let seed = 0; seed < 40; seed++) {
      const u = await bytes({ kind: 'utf8', size: 4000, seed });
      expect(u.some((b) => b >= 0xf0)).toBe(true); // 4-byte characters
      try {
        decoder.decode(u);
        valid++;
      } catch {
        invalid++;
      }
    }
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);

    expect((await bytes({ kind: 'empty', size: 100 })).length).toBe(0);
    expect((await bytes({ kind: 'bytes', base64: Buffer.from('\0hi\xff', 'latin1').toString('base64') })).toString('latin1')).toBe('\0hi\xff');
  });

  it('writes valid JSON of about the asked size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 0, max: 20_000 }), async (seed, size) => {
        const b = await bytes({ kind: 'json', seed, size });
        const value = JSON.parse(b.toString('utf8')) as { items: unknown[] };
        expect(Array.isArray(value.items)).toBe(true);
        expect(b.length).toBeLessThan(size + 4096);
        expect(b.length).toBeGreaterThan(size - 200);
      }),
      { numRuns: 40 },
    );
    const big = await bytes({ kind: 'json', size: 3 << 20 });
    expect((JSON.parse(big.toString('utf8')) as { items: unknown[] }).items.length).toBeGreaterThan(100);
  });

  it('gives the same bytes for the same content, other bytes for other seeds', async () => {
    const kinds: ContentKind[] = ['text', 'lines', 'binary', 'large', 'utf8', 'json', 'gzip', 'tar', 'tar.gz'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...kinds),
        fc.integer(),
        fc.integer({ min: 0, max: 50_000 }),
        fc.option(fc.nat(20), { nil: undefined }),
        fc.option(fc.nat(60_000), { nil: undefined }),
        async (kind, seed, size, corrupt, truncate) => {
          const c: Content = { kind, seed, size, corrupt, truncate };
          const first = Buffer.from(await contentBytes(c, opts));
          clearContentCache(); // generated again, not served from the cache
          expect((await contentBytes(c, opts)).equals(first)).toBe(true);
          expect((await contentBytes({ ...c }, opts)).equals(first)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    for (const kind of kinds) {
      let differ = 0;
      for (let seed = 0; seed < 20; seed++) {
        const a = await bytes({ kind, seed, size: 2000 });
        const b = await bytes({ kind, seed: seed + 1000, size: 2000 });
        if (!a.equals(b)) differ++;
      }
      expect(differ, kind).toBeGreaterThanOrEqual(19);
    }
  });

  it('corrupts and truncates on top of the generated bytes', async () => {
    const base = Buffer.from(await bytes({ kind: 'text', size: 10_000, seed: 3 }));
    for (const n of [1, 5, 50]) {
      const bad = await bytes({ kind: 'text', size: 10_000, seed: 3, corrupt: n });
      expect(bad.length).toBe(base.length);
      let changed = 0;
      for (let i = 0; i < base.length; i++) if (bad[i] !== base[i]) changed++;
      expect(changed).toBeGreaterThanOrEqual(1);
      expect(changed).toBeLessThanOrEqual(n);
    }
    // the cached original was not modified by corrupt
    expect((await bytes({ kind: 'text', size: 10_000, seed: 3 })).equals(base)).toBe(true);
    expect((await bytes({ kind: 'text', size: 10_000, seed: 3, truncate: 100 })).equals(base.subarray(0, 100))).toBe(true);
    expect((await bytes({ kind: 'text', size: 10_000, seed: 3, truncate: 1e9 })).length).toBe(10_000);
    expect((await bytes({ kind: 'text', size: 10_000, seed: 3, truncate: 0, corrupt: 3 })).length).toBe(0);
    expect((await bytes({ kind: 'empty', corrupt: 3 })).length).toBe(0);
    const both = await bytes({ kind: 'text', size: 10_000, seed: 3, truncate: 10, corrupt: 4 });
    expect(both.length).toBe(10);
    expect(both.equals(base.subarray(0, 10))).toBe(false); // the flips land in the bytes kept
  });
});

describe('compressed and archived kinds', () => {
  afterEach(() => clearContentCache());

  const tools = [
    ['gzip', 'gzip'],
    ['xz', 'xz'],
    ['bzip2', 'bzip2'],
    ['zstd', 'zstd'],
  ] as const;
  for (const [kind, tool] of tools) {
    it(`${kind}: the real ${tool} decompresses it to the text content`, async (ctx) => {
      if (!(await installed(tool))) ctx.skip();
      for (const [seed, size] of [
        [1, 0],
        [2, 3000],
        [3, 70_000],
        [4, 1_200_000],
      ] as const) {
        const packed = await bytes({ kind, seed, size });
        const { stdout } = await execa(tool, ['-dc'], { input: packed, encoding: 'buffer', stripFinalNewline: false });
        expect(Buffer.from(stdout).equals(await bytes({ kind: 'text', seed, size }))).toBe(true);
      }
    });
  }

  it('gzip has a fixed header: mtime 0, no name', async () => {
    const gz = await bytes({ kind: 'gzip', size: 500 });
    expect(gz.readUInt32LE(4)).toBe(0);
    expect(gz[3]! & 0x08).toBe(0); // FNAME
  });

  it('tar and tar.gz hold a file, a directory with a file, and a symlink', async () => {
    const listing = await tarList(await bytes({ kind: 'tar', size: 5000, seed: 11 }));
    expect(listing).toHaveLength(4);
    expect(listing[0]).toMatch(/^-rw\S+ root\/root \d+ 2020-01-01 00:00 \w+\.txt$/);
    expect(listing[1]).toMatch(/^drwxr-xr-x root\/root 0 2020-01-01 00:00 \w+\.d\/$/);
    expect(listing[2]).toMatch(/^-rw-r--r-- root\/root \d+ 2020-01-01 00:00 \w+\.d\/\w+\.txt$/);
    expect(listing[3]).toMatch(/^lrwxrwxrwx root\/root 0 2020-01-01 00:00 link -> \w+\.txt$/);

    const dir = await tmp();
    await execa('tar', ['-xzf', '-', '-C', dir], { input: await bytes({ kind: 'tar.gz', size: 5000, seed: 11 }) });
    const file = listing[0]!.split(' ').pop()!;
    expect(await readlink(path.join(dir, 'link'))).toBe(file);
    const content = await readFile(path.join(dir, 'link'));
    expect(content.length).toBeGreaterThan(100);
    expect(content.toString('latin1')).toMatch(/^[\x20-\x7e\n]+$/);
  });

  it('falls back to the shipped samples when a compressor is missing', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      for (const [kind, file] of [
        ['xz', 'sample.txt.xz'],
        ['bzip2', 'sample.txt.bz2'],
        ['zstd', 'sample.txt.zst'],
      ] as const) {
        clearContentCache();
        const got = await bytes({ kind, size: 100 });
        expect(got.equals(await readFile(path.join(defaultSampleDir()!, file)))).toBe(true);
      }
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('samples', () => {
  afterEach(() => clearContentCache());

  it('ships decompressible samples in corpus/files', async () => {
    const dir = defaultSampleDir();
    expect(dir).toBeDefined();
    const text = await readFile(path.join(dir!, 'sample.txt'));
    for (const [file, tool] of [
      ['sample.txt.xz', 'xz'],
      ['sample.txt.bz2', 'bzip2'],
      ['sample.txt.zst', 'zstd'],
    ] as const) {
      if (!(await installed(tool))) continue;
      const { stdout } = await execa(tool, ['-dc', path.join(dir!, file)], { encoding: 'buffer', stripFinalNewline: false });
      expect(Buffer.from(stdout).equals(text), file).toBe(true);
    }
    JSON.parse(await readFile(path.join(dir!, 'sample.json'), 'utf8'));
    expect((await tarList(await readFile(path.join(dir!, 'sample.tar.gz')), '-tvzf')).length).toBe(2);
  });

  it('reads a sample from the first directory that has it', async () => {
    const a = await tmp();
    const b = await tmp();
    await writeFile(path.join(b, 'x.bin'), 'from b');
    await writeFile(path.join(b, 'y.bin'), 'y from b');
    await writeFile(path.join(a, 'y.bin'), 'y from a');
    const read = (sample: string) => contentBytes({ kind: 'sample', seed: 0, size: 0, sample }, { sampleDirs: [a, b] });
    expect((await read('x.bin')).toString()).toBe('from b');
    expect((await read('y.bin')).toString()).toBe('y from a');
    await expect(read('missing.bin')).rejects.toThrow(/none of/);
    // corrupt/truncate apply to samples too
    const cut = await contentBytes({ kind: 'sample', seed: 0, size: 0, sample: 'x.bin', truncate: 4 }, { sampleDirs: [a, b] });
    expect(cut.toString()).toBe('from');
  });

  it('refuses sample names that could leave the sample directories', async () => {
    const dir = await tmp();
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'f'), 'x');
    for (const name of ['../etc/passwd', 'sub/f', '..', '.', '', '/etc/passwd', 'a\\b', undefined]) {
      expect(() => checkSampleName(name), String(name)).toThrow(/invalid sample name/);
      await expect(contentBytes({ kind: 'sample', seed: 0, size: 0, sample: name }, { sampleDirs: [dir] })).rejects.toThrow(/invalid sample name/);
    }
    expect(checkSampleName('sample.txt')).toBe('sample.txt');
  });
});
