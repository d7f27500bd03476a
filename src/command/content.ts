import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import type { Content } from './invocation.js';
import { ustar, type TarEntry } from './tar.js';

/**
 * Turns a Content description into bytes. Inputs are stored as (kind, seed, size) so
 * that a corpus entry stays small; this module must therefore give the very same bytes
 * for the same description on every call, in every process: a seeded PRNG only, never
 * Math.random, and compressors run single-threaded at a level the seed picks.
 */

/** Whatever an input says, no content is bigger than this. */
export const MAX_CONTENT_BYTES = 64 * 1024 * 1024;

export interface ContentOptions {
  /** where kind 'sample' looks (first match wins); also searched for fallbacks of missing compressors */
  sampleDirs: string[];
}

/**
 * The bytes of `c`. The returned buffer may be shared with a cache and with other
 * callers: read it, write it out, copy it, but never modify it in place.
 */
export async function contentBytes(c: Content, opts: ContentOptions): Promise<Buffer> {
  let bytes = c.kind === 'empty' ? Buffer.alloc(0) : c.kind === 'bytes' ? Buffer.from(c.base64 ?? '', 'base64') : await cached(c, opts);
  if (bytes.length > MAX_CONTENT_BYTES) bytes = bytes.subarray(0, MAX_CONTENT_BYTES);
  // truncate first so that every flipped byte lands in what the program sees
  const keep = count(c.truncate);
  if (keep !== undefined && keep < bytes.length) bytes = bytes.subarray(0, keep);
  const flips = count(c.corrupt);
  if (flips && bytes.length > 0) bytes = corrupt(bytes, flips, c.seed);
  return bytes;
}

/** The package's own corpus/files, from src/ as well as from the compiled dist/src/. */
export function defaultSampleDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = path.join(dir, 'corpus', 'files');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** A file name for kind 'sample': a plain name, so a mutated input cannot read outside the sample directories. */
export function checkSampleName(name: string | undefined): string {
  if (!name || name.includes('/') || name.includes('\\') || name.includes('\0') || name === '.' || name.includes('..')) {
    throw new Error(`invalid sample name ${JSON.stringify(name)}: expected a plain file name`);
  }
  return name;
}

// ---------------------------------------------------------------------------------
// cache: the fuzzer materialises the same few contents many times a second, and
// spawning xz or generating 16 MiB each time would dominate the execution time.

const CACHE_ENTRIES = 64;
const CACHE_BYTES = 64 * 1024 * 1024;
const cache = new Map<string, { promise: Promise<Buffer>; bytes: number }>();
let cacheBytes = 0;

function cached(c: Content, opts: ContentOptions): Promise<Buffer> {
  // corrupt/truncate are applied per call on top of the cached base: mutators vary them a lot
  const key = JSON.stringify(c.kind === 'sample' ? [c.kind, c.sample, opts.sampleDirs] : [c.kind, c.seed, size(c), opts.sampleDirs]);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // re-insert: Map order is our LRU order
    cache.set(key, hit);
    return hit.promise;
  }
  const entry = { promise: generate(c, opts), bytes: 0 };
  cache.set(key, entry);
  entry.promise.then(
    (buf) => {
      if (cache.get(key) !== entry) return; // evicted while pending
      entry.bytes = buf.length;
      cacheBytes += buf.length;
      evict();
    },
    () => {
      if (cache.get(key) === entry) cache.delete(key); // a failure is not remembered
    },
  );
  evict();
  return entry.promise;
}

function evict(): void {
  for (const [key, entry] of cache) {
    if (cache.size <= CACHE_ENTRIES && cacheBytes <= CACHE_BYTES) break;
    cache.delete(key);
    cacheBytes -= entry.bytes;
  }
}

/** For tests: start from an empty cache. */
export function clearContentCache(): void {
  cache.clear();
  cacheBytes = 0;
}

// ---------------------------------------------------------------------------------
// generation

function size(c: Content): number {
  return Math.min(MAX_CONTENT_BYTES, count(c.size) ?? 0);
}

/** A non-negative integer, or undefined for absent/NaN values (JSON inputs are not trusted). */
function count(n: number | undefined): number | undefined {
  if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
  return Math.max(0, Math.floor(n));
}

async function generate(c: Content, opts: ContentOptions): Promise<Buffer> {
  const n = size(c);
  const rng = prng(c.seed, c.kind);
  switch (c.kind) {
    case 'text':
      return textOf(c.seed, n);
    case 'large':
      return tile(rng, n, text);
    case 'lines':
      return tile(rng, n, lines);
    case 'binary':
      return binary(rng, n);
    case 'utf8':
      return tile(rng, n, utf8);
    case 'json':
      return json(rng, n);
    case 'gzip':
      return gzip(textOf(c.seed, n), rng, n);
    case 'xz':
    case 'bzip2':
    case 'zstd':
      return compress(c.kind, textOf(c.seed, n), rng, n, opts);
    case 'tar':
      return tar(c.seed, n);
    case 'tar.gz':
      return gzip(tar(c.seed, n), rng, n);
    case 'sample':
      return readSample(checkSampleName(c.sample), opts.sampleDirs);
    case 'empty':
    case 'bytes':
      break; // handled by contentBytes
  }
  throw new Error(`unknown content kind ${JSON.stringify((c as { kind: unknown }).kind)}`);
}

/** The text that compressed kinds hold: the 'text' content with the same seed and size. */
function textOf(seed: number, n: number): Buffer {
  return tile(prng(seed, 'text'), n, text);
}

type Rng = () => number; // uint32

/** mulberry32: tiny and fast, and good enough to pick words; salted so kinds differ for one seed. */
function prng(seed: number, salt: string): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193);
  let a = ((Number.isFinite(seed) ? Math.trunc(seed) : 0) ^ h) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const below = (rng: Rng, n: number): number => (n <= 1 ? 0 : rng() % n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[below(rng, items.length)] as T;
const chance = (rng: Rng, p: number): boolean => rng() / 0x1_0000_0000 < p;

function corrupt(bytes: Buffer, flips: number, seed: number): Buffer {
  const out = Buffer.from(bytes); // never touch the cached buffer
  const rng = prng(seed, 'corrupt');
  for (let i = 0; i < Math.min(flips, out.length * 2); i++) {
    const at = below(rng, out.length);
    out[at] = (out[at] as number) ^ (1 + below(rng, 255)); // a non-zero mask: the byte really changes
  }
  return out;
}

/**
 * Contents up to TILE_DIRECT are generated piece by piece; bigger ones repeat one
 * generated block, changing a few letters in each copy so that no two blocks are
 * equal (compressors and dedupers should not see a trivially periodic file). That is
 * what makes 16 MiB take milliseconds rather than seconds.
 */
const TILE_DIRECT = 1024 * 1024;
const TILE_BLOCK = 64 * 1024;

function tile(rng: Rng, n: number, make: (rng: Rng, n: number) => Buffer): Buffer {
  if (n <= TILE_DIRECT) return make(rng, n);
  const block = make(rng, TILE_BLOCK);
  if ((block[block.length - 1] as number) < 0x80) block[block.length - 1] = 0x0a; // copies start on a fresh line (never cut a UTF-8 character)
  const out = Buffer.allocUnsafe(n);
  for (let at = 0; at < n; at += block.length) {
    const copied = block.copy(out, at, 0, Math.min(block.length, n - at));
    for (let k = 0; k < 8 && at > 0; k++) {
      const i = at + below(rng, copied);
      const b = out[i] as number;
      if (b >= 0x61 && b <= 0x7a) out[i] = 0x61 + below(rng, 26); // ASCII letters only: UTF-8 stays as it was
    }
  }
  return out;
}

const WORDS = (
  'the of and to in is it that was for on are with as be at one have this from by hot word but what some we can out ' +
  'other were all there when up use your how said an each she which do their time if will way about many then them ' +
  'write would like so these her long make thing see him two has look more day could go come did number sound no most ' +
  'people my over know water than call first who may down side been now find any new work part take get place made ' +
  'live where after back little only round man year came show every good me give our under name very through just ' +
  'form sentence great think say help low line differ turn cause much mean before move right boy old too same tell ' +
  'error warning info debug foo bar baz qux localhost admin root user nobody tmp etc usr lib bin config data value'
).split(' ');
const PUNCT = ['.', ',', ';', ':', '!', '?', ' -', '...', "'s", '"', ')'];

/** Exactly n bytes of printable ASCII prose: words, punctuation, lines, paragraphs. */
function text(rng: Rng, n: number): Buffer {
  const parts: string[] = [];
  let len = 0;
  let col = 0;
  let width = 40 + below(rng, 60);
  while (len < n) {
    let w = pick(rng, WORDS);
    const r = below(rng, 100);
    if (r < 6) w = w[0]!.toUpperCase() + w.slice(1);
    else if (r < 9) w = String(below(rng, 100000));
    else if (r < 10) w = w.repeat(2 + below(rng, 20)); // the odd very long token
    if (chance(rng, 0.12)) w += pick(rng, PUNCT);
    let sep = ' ';
    col += w.length + 1;
    if (col > width) {
      sep = chance(rng, 0.1) ? '\n\n' : '\n';
      col = 0;
      width = 40 + below(rng, 60);
    }
    parts.push(w, sep);
    len += w.length + sep.length;
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, n);
}

/** Short records with a small pool of repeated keys: what sort, uniq, cut and grep like. */
function lines(rng: Rng, n: number): Buffer {
  const keys = Array.from({ length: 3 + below(rng, 30) }, (_, i) => `${pick(rng, WORDS)}${i}`);
  const out: string[] = [];
  let len = 0;
  let prev = '';
  while (len < n) {
    let line: string;
    const r = below(rng, 100);
    if (r < 15 && prev) line = prev; // adjacent duplicates for uniq
    else if (r < 40) line = `${pick(rng, keys)}\t${below(rng, 1000) - 200}\t${pick(rng, WORDS)}`;
    else if (r < 55) line = `${pick(rng, keys)}=${pick(rng, WORDS)}`;
    else if (r < 65) line = `${pick(rng, keys)},${below(rng, 100)},${(below(rng, 100000) / 100).toFixed(2)}`;
    else if (r < 72) line = `  ${pick(rng, keys).toUpperCase()} ${pick(rng, WORDS)}`;
    else if (r < 76) line = '';
    else if (r < 82) line = String(below(rng, 1 << 20));
    else line = `${pick(rng, keys)} ${pick(rng, WORDS)} ${pick(rng, WORDS)}`;
    out.push(line, '\n');
    len += line.length + 1;
    prev = line;
  }
  return Buffer.from(out.join(''), 'latin1').subarray(0, n);
}

/** Random bytes, with runs of NULs and 0xFF (what parsers of binary headers trip on). */
function binary(rng: Rng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  // byte by byte rather than through a Uint32Array: the same bytes on big-endian hosts
  for (; i + 4 <= n; i += 4) {
    const r = rng();
    out[i] = r & 0xff;
    out[i + 1] = (r >>> 8) & 0xff;
    out[i + 2] = (r >>> 16) & 0xff;
    out[i + 3] = r >>> 24;
  }
  for (; i < n; i++) out[i] = rng() & 0xff;
  for (let runs = Math.ceil(n / 256); runs > 0; runs--) {
    const at = below(rng, n);
    out.fill(chance(rng, 0.8) ? 0 : 0xff, at, Math.min(n, at + 1 + below(rng, 32)));
  }
  return out;
}

const UTF8_PIECES = ['é', 'ñ', 'ü', 'ß', 'Ω', 'ж', 'я', '€', '中', '文', '日本', '✓', '→', '😀', '𝄞', '🏳️‍🌈', 'e\u0301', '\u200b', '\u202e', 'עברית', '\u00a0', '\ufeff'];
const UTF8_INVALID = [
  [0x80], // lone continuation byte
  [0xc0, 0xaf], // overlong '/'
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xff],
  [0xed, 0xa0, 0x80], // UTF-16 surrogate
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
].map((b) => Buffer.from(b));

/** Mixed-width characters; about three seeds in four also get some invalid sequences. */
function utf8(rng: Rng, n: number): Buffer {
  const invalidRate = chance(rng, 0.25) ? 0 : 0.01 + below(rng, 5) / 100;
  const parts: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const r = below(rng, 100) / 100;
    let piece: Buffer;
    if (r < invalidRate) piece = pick(rng, UTF8_INVALID);
    else if (r < 0.4) piece = Buffer.from(`${pick(rng, WORDS)}${chance(rng, 0.1) ? '\n' : ' '}`);
    else piece = Buffer.from(pick(rng, UTF8_PIECES));
    if (len + piece.length > n) break; // do not cut the last character in half
    parts.push(piece);
    len += piece.length;
  }
  const out = Buffer.concat(parts);
  // fill the tail with ASCII so the size is exact
  return out.length < n ? Buffer.concat([out, Buffer.alloc(n - out.length, 0x20)]) : out;
}

/** Valid JSON of about n bytes: an object whose `items` array holds nested records. */
function json(rng: Rng, n: number): Buffer {
  const indent = chance(rng, 0.5) ? 0 : 2;
  const items: string[] = [];
  let len = 0;
  const direct = Math.min(n, TILE_DIRECT);
  while (len < direct - 64) {
    const item = JSON.stringify(jsonValue(rng, 4), null, indent);
    items.push(item);
    len += item.length + 1;
  }
  // beyond TILE_DIRECT repeat the records: still valid, and fast
  for (let i = 0; len < n - 64 && items.length > 0; i++) {
    const item = items[i]!;
    items.push(item);
    len += item.length + 1;
  }
  const sep = indent ? ',\n' : ',';
  return Buffer.from(`{"version":1,"name":${JSON.stringify(pick(rng, WORDS))},"items":[${items.join(sep)}]}\n`);
}

function jsonValue(rng: Rng, depth: number): unknown {
  const r = below(rng, depth > 0 ? 10 : 6);
  switch (r) {
    case 0:
      return below(rng, 1 << 30) - (1 << 29);
    case 1:
      return pick(rng, [0, -0.5, 3.14159, 1e21, -2.5e-8, Number.MAX_SAFE_INTEGER, 42]);
    case 2:
      return pick(rng, [true, false, null]);
    case 3:
      return pick(rng, ['', 'quote " and \\ backslash', 'tab\tnew\nline', '\u0001\u001f', 'é中😀', '</script>']);
    case 4:
    case 5:
      return `${pick(rng, WORDS)} ${pick(rng, WORDS)}`;
    case 6:
    case 7:
      return Array.from({ length: below(rng, 6) }, () => jsonValue(rng, depth - 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = below(rng, 6); i > 0; i--) obj[`${pick(rng, WORDS)}${below(rng, 10)}`] = jsonValue(rng, depth - 1);
      return obj;
    }
  }
}

// ---------------------------------------------------------------------------------
// archives and compressed streams

/** The level is part of the input: decoders allocate differently (bzip2 block size, xz dictionary). */
function level(rng: Rng, n: number, levels: number[], fastest: number, bigFrom: number): number {
  const chosen = pick(rng, levels);
  return n > bigFrom ? fastest : chosen; // high levels on MiBs would stall the fuzzer for seconds
}

function gzip(payload: Buffer, rng: Rng, n: number): Buffer {
  // node's zlib writes MTIME 0 and no file name: the header is the same on every run
  return gzipSync(payload, { level: level(rng, n, [1, 6, 9], 1, 4 << 20) });
}

const TOOLS = {
  xz: { file: 'xz', fallback: 'sample.txt.xz' },
  bzip2: { file: 'bzip2', fallback: 'sample.txt.bz2' },
  zstd: { file: 'zstd', fallback: 'sample.txt.zst' },
} as const;

async function compress(kind: keyof typeof TOOLS, payload: Buffer, rng: Rng, n: number, opts: ContentOptions): Promise<Buffer> {
  let args: string[];
  if (kind === 'xz') args = ['-c', '-T1', `-${level(rng, n, [0, 1, 3, 6], 0, 4 << 20)}`, `--check=${pick(rng, ['crc32', 'crc64', 'sha256'])}`];
  else if (kind === 'bzip2') args = ['-c', `-${level(rng, n, [1, 5, 9], 1, 4 << 20)}`];
  else args = ['-c', '-q', '-T1', `-${level(rng, n, [1, 3, 9, 19], 1, 256 << 10)}`];
  try {
    const result = await execa(TOOLS[kind].file, args, { input: payload, encoding: 'buffer', stripFinalNewline: false, timeout: 120_000 });
    return Buffer.from(result.stdout);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    // no compressor on this host: a shipped sample keeps the kind usable (without seed variety)
    const dirs = [...opts.sampleDirs, defaultSampleDir()].filter((d): d is string => d !== undefined);
    return readSample(TOOLS[kind].fallback, dirs, `${kind} is not installed and`);
  }
}

/** A regular file, a directory with a file in it, and a symlink; the text split between the two files. */
function tar(seed: number, n: number): Buffer {
  const rng = prng(seed, 'tar-names');
  const budget = Math.max(0, n - 4 * 1024); // headers and padding: the archive stays near n
  const first = Math.floor(budget / 2);
  const dir = pick(rng, WORDS);
  const file = `${pick(rng, WORDS)}.txt`;
  const entries: TarEntry[] = [
    { name: file, type: 'file', data: textOf(seed, first), mode: chance(rng, 0.2) ? 0o755 : 0o644 },
    { name: `${dir}.d`, type: 'dir' },
    { name: `${dir}.d/${pick(rng, WORDS)}.txt`, type: 'file', data: textOf(seed + 1, budget - first) },
    { name: 'link', type: 'symlink', linkname: file },
  ];
  return ustar(entries);
}

async function readSample(name: string, dirs: string[], why = ''): Promise<Buffer> {
  for (const dir of dirs) {
    let handle;
    try {
      handle = await open(path.join(dir, name), 'r');
    } catch {
      continue; // not in this directory
    }
    try {
      // read at most the cap: a huge --seeds file must not be loaded whole
      const buf = Buffer.alloc(Math.min(MAX_CONTENT_BYTES, (await handle.stat()).size));
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  throw new Error(`${why ? `${why} ` : ''}sample file ${name} is in none of: ${dirs.join(', ') || '(no sample directories)'}`);
}
