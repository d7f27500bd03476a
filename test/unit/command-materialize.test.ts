import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { Content, FileNode } from '../../src/command/invocation.js';
import { clearDir, digestDir, feedFifo, materialize, stdinBytes } from '../../src/command/materialize.js';

const opts = { sampleDirs: [] as string[] };
const text = (seed: number, size = 200, extra: Partial<Content> = {}): Content => ({ kind: 'text', seed, size, ...extra });
const tempDirs: string[] = [];
const tmp = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-mat-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(async () => {
  // clearDir first: tests leave locked directories behind
  for (const dir of tempDirs) await clearDir(dir).then(() => rm(dir, { recursive: true, force: true }));
});
const FIXED = '2020-01-01T00:00:00.000Z';

const tree = (seed = 1): FileNode[] => [
  { type: 'file', name: 'plain.txt', content: text(seed) },
  { type: 'file', name: 'secret', content: text(seed + 1), mode: 0o000 },
  { type: 'file', name: 'deep/er/nested.gz', content: { kind: 'gzip', seed, size: 1000 } },
  {
    type: 'dir',
    name: 'd',
    entries: [
      { type: 'file', name: 'inner.json', content: { kind: 'json', seed, size: 300 }, mode: 0o600 },
      { type: 'dir', name: 'locked', entries: [{ type: 'file', name: 'x', content: text(seed + 2) }], mode: 0o000 },
      { type: 'symlink', name: 'up', target: '../plain.txt' },
    ],
    mode: 0o750,
  },
  { type: 'symlink', name: 'dangling', target: '/nonexistent/path' },
  { type: 'fifo', name: 'pipe', content: text(seed + 3, 100) },
];

describe('materialize', () => {
  it('creates every node type with fixed times and the asked modes', async () => {
    const dir = await tmp();
    const made = await materialize(dir, tree(), opts);
    const st = (name: string) => lstat(path.join(dir, name));
    // times first: reading a file below (gzip, JSON.parse) updates its atime
    for (const name of ['.', 'plain.txt', 'secret', 'deep', 'deep/er', 'deep/er/nested.gz', 'd', 'd/inner.json', 'd/locked', 'd/locked/x', 'd/up', 'dangling', 'pipe']) {
      const s = await st(name);
      expect(s.mtime.toISOString(), name).toBe(FIXED);
      expect(s.atime.toISOString(), name).toBe(FIXED);
    }

    expect((await st('plain.txt')).isFile()).toBe(true);
    expect((await st('plain.txt')).mode & 0o7777).toBe(0o644);
    expect((await st('secret')).mode & 0o7777).toBe(0o000);
    expect((await st('deep')).isDirectory()).toBe(true);
    expect((await st('deep/er/nested.gz')).isFile()).toBe(true);
    const { stdout } = await execa('gzip', ['-dc', path.join(dir, 'deep/er/nested.gz')]);
    expect(stdout.length).toBeGreaterThan(500);
    expect((await st('d')).mode & 0o7777).toBe(0o750);
    expect((await st('d/inner.json')).mode & 0o7777).toBe(0o600);
    JSON.parse(await readFile(path.join(dir, 'd/inner.json'), 'utf8'));
    expect((await st('d/locked')).mode & 0o7777).toBe(0o000);
    expect((await st('d/locked/x')).isFile()).toBe(true); // we may be root; the entries were made before the chmod
    expect((await st('d/up')).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(dir, 'd/up'))).toBe('../plain.txt');
    expect(await readlink(path.join(dir, 'dangling'))).toBe('/nonexistent/path');
    expect((await st('pipe')).isFIFO()).toBe(true);

    expect(made.fifos).toEqual([{ path: path.join(dir, 'pipe'), bytes: expect.any(Buffer) }]);
    expect(made.fifos[0]!.bytes.length).toBe(100);
    await clearDir(dir);
  });

  it('takes another fixed time when asked', async () => {
    const dir = await tmp();
    const mtime = new Date('2001-02-03T04:05:06Z');
    await materialize(dir, [{ type: 'dir', name: 'a', entries: [{ type: 'file', name: 'b', content: text(1) }] }], { ...opts, mtime });
    for (const name of ['.', 'a', 'a/b']) expect((await lstat(path.join(dir, name))).mtime.getTime()).toBe(mtime.getTime());
  });

  it('refuses names that leave the directory or name nothing', async () => {
    const outside = await tmp();
    const bad: [FileNode[], RegExp][] = [
      [[{ type: 'file', name: '/etc/x', content: text(1) }], /absolute/],
      [[{ type: 'file', name: '../x', content: text(1) }], /'\.\.'/],
      [[{ type: 'file', name: 'a/../../x', content: text(1) }], /'\.\.'/],
      [[{ type: 'dir', name: 'ok', entries: [{ type: 'file', name: '..', content: text(1) }] }], /'\.\.'/],
      [[{ type: 'file', name: '', content: text(1) }], /empty/],
      [[{ type: 'file', name: './/.', content: text(1) }], /names no file/],
      [[{ type: 'file', name: 'a\0b', content: text(1) }], /NUL/],
      // a name cannot go through a symlink, even one of the input's own
      [
        [
          { type: 'symlink', name: 'out', target: outside },
          { type: 'file', name: 'out/pwned', content: text(1) },
        ],
        /not a directory/,
      ],
      // nor write through one by reusing its name
      [
        [
          { type: 'symlink', name: 'out', target: path.join(outside, 'pwned') },
          { type: 'file', name: 'out', content: text(1) },
        ],
        /used twice/,
      ],
      [
        [
          { type: 'dir', name: 'twice', entries: [] },
          { type: 'dir', name: 'twice', entries: [] },
        ],
        /used twice/,
      ],
    ];
    for (const [files, message] of bad) {
      const dir = await tmp();
      await expect(materialize(dir, files, opts), JSON.stringify(files)).rejects.toThrow(message);
    }
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('digestDir', () => {
  it('is stable across materialisations and changes with a byte, a name or a type', async () => {
    const [a, b, c, d] = await Promise.all([tmp(), tmp(), tmp(), tmp()]);
    await materialize(a, tree(), opts);
    await materialize(b, tree(), opts);
    const digest = await digestDir(a);
    expect(digest).toMatch(/^[0-9a-f]{12}$/);
    expect(await digestDir(b)).toBe(digest);

    // times do not count
    await utimes(path.join(b, 'plain.txt'), new Date(), new Date());
    expect(await digestDir(b)).toBe(digest);

    const oneByte = tree();
    (oneByte[0] as { content: Content }).content = text(1, 200, { corrupt: 1 });
    await materialize(c, oneByte, opts);
    expect(await digestDir(c)).not.toBe(digest);

    const renamed = tree();
    renamed[0]!.name = 'plain2.txt';
    await materialize(d, renamed, opts);
    expect(await digestDir(d)).not.toBe(digest);

    // what the program wrote counts, empty files included
    const e = await tmp();
    await writeFile(path.join(e, 'f'), 'x');
    const before = await digestDir(e);
    await writeFile(path.join(e, 'g'), '');
    expect(await digestDir(e)).not.toBe(before);
    for (const dir of [a, b, c, d]) await clearDir(dir);
  });

  it('copes with names that are not UTF-8', async () => {
    const dir = await tmp();
    const odd = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x66, 0xff, 0xfe, 0x0a])]);
    await writeFile(odd, 'odd');
    const first = await digestDir(dir);
    await writeFile(odd, 'odd!');
    expect(await digestDir(dir)).not.toBe(first);
    await clearDir(dir);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('clearDir', () => {
  it('empties a directory holding locked files and directories, FIFOs and symlinks', async () => {
    const dir = await tmp();
    await materialize(dir, tree(), opts);
    // what a program might leave: a read-only directory with content, its cwd read-only
    await mkdir(path.join(dir, 'ro'));
    await writeFile(path.join(dir, 'ro', 'f'), 'x');
    await chmod(path.join(dir, 'ro'), 0o500);
    await symlink('/', path.join(dir, 'root-link'));
    await chmod(dir, 0o500);
    await clearDir(dir);
    expect(await readdir(dir)).toEqual([]);
    // the symlink was removed, not followed
    expect((await lstat('/')).isDirectory()).toBe(true);
    await clearDir(path.join(dir, 'missing')); // nothing to do
  });
});

describe('stdinBytes', () => {
  it('resolves each kind of stdin', async () => {
    const dir = await tmp();
    await materialize(
      dir,
      [
        { type: 'file', name: 'in.txt', content: text(1) },
        { type: 'symlink', name: 'gone', target: 'nowhere' },
      ],
      opts,
    );
    expect(await stdinBytes({ from: 'null' }, dir, opts)).toBe('null');
    expect(await stdinBytes({ from: 'content', content: { kind: 'bytes', seed: 0, size: 0, base64: 'aGk=' } }, dir, opts)).toEqual(Buffer.from('hi'));
    expect(await stdinBytes({ from: 'file', name: 'in.txt' }, dir, opts)).toEqual({ file: path.join(dir, 'in.txt') });
    expect(await stdinBytes({ from: 'file', name: 'missing' }, dir, opts)).toBe('null');
    expect(await stdinBytes({ from: 'file', name: 'gone' }, dir, opts)).toBe('null');
    await expect(stdinBytes({ from: 'file', name: '../etc/passwd' }, dir, opts)).rejects.toThrow(/'\.\.'/);
  });
});

describe('feedFifo', () => {
  const gone = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return (err as { code?: string }).code === 'ESRCH';
    }
  };
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('writes the bytes to a reader, bigger than a pipe buffer', async () => {
    const dir = await tmp();
    const scratch = await tmp();
    const made = await materialize(dir, [{ type: 'fifo', name: 'in', content: { kind: 'binary', seed: 4, size: 300_000 } }], opts);
    const fifo = made.fifos[0]!;
    const feed = feedFifo(fifo.path, fifo.bytes, new AbortController().signal, scratch);
    const reader = await execa('cat', [fifo.path], { encoding: 'buffer', stripFinalNewline: false });
    await feed.done;
    expect(Buffer.from(reader.stdout).equals(fifo.bytes)).toBe(true);
    expect(fifo.bytes.length).toBe(300_000);
    expect(gone(feed.pid!)).toBe(true);
    expect(await readdir(scratch)).toEqual([]); // its temporary file is removed
    await clearDir(dir);
  });

  it('ends when aborted while nobody opened the FIFO, leaving no process behind', async () => {
    const dir = await tmp();
    const scratch = await tmp();
    const made = await materialize(dir, [{ type: 'fifo', name: 'never', content: text(1) }], opts);
    const ac = new AbortController();
    const feed = feedFifo(made.fifos[0]!.path, made.fifos[0]!.bytes, ac.signal, scratch);
    await until(() => feed.pid !== undefined);
    const pid = feed.pid!;
    expect(pid).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(gone(pid)).toBe(false); // blocked in open(), waiting for a reader
    ac.abort();
    await feed.done;
    expect(gone(pid)).toBe(true);
    expect(await readdir(scratch)).toEqual([]);

    // an already aborted signal starts nothing
    const late = feedFifo(made.fifos[0]!.path, Buffer.from('x'), ac.signal, scratch);
    await late.done;
    expect(late.pid).toBeUndefined();
  });

  it('ends when the reader stops early', async () => {
    const dir = await tmp();
    const made = await materialize(dir, [{ type: 'fifo', name: 'in', content: { kind: 'large', seed: 1, size: 4 << 20 } }], opts);
    const feed = feedFifo(made.fifos[0]!.path, made.fifos[0]!.bytes, new AbortController().signal, await tmp());
    const { stdout } = await execa('head', ['-c', '10', made.fifos[0]!.path]);
    expect(stdout.length).toBe(10);
    await feed.done; // the writer got EPIPE/SIGPIPE
    expect(gone(feed.pid!)).toBe(true);
  });
});
