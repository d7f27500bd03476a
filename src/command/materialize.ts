import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, open, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { contentBytes, type ContentOptions } from './content.js';
import type { FileNode, Stdin } from './invocation.js';

export { contentBytes } from './content.js';

/**
 * Builds the working directory of one command-mode execution from its FileNode tree,
 * and cleans and fingerprints it afterwards. Every created path gets the same fixed
 * times so that programs which record mtimes (gzip, tar, zip) write identical output
 * on every run: the confined and unconfined runs of one input must compare equal.
 */

export const DEFAULT_MTIME = new Date('2020-01-01T00:00:00Z');

export interface MaterializeOptions extends ContentOptions {
  /** the atime/mtime of everything created, `dir` included; default 2020-01-01T00:00:00Z */
  mtime?: Date;
}

export interface Materialized {
  /** FIFOs created, with what to write into each once the program opens it (see feedFifo) */
  fifos: { path: string; bytes: Buffer }[];
}

/** Path segments of a FileNode name; throws on names that could leave `dir` or name nothing. */
export function checkNodeName(name: unknown): string[] {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`invalid file name ${JSON.stringify(name)}: empty`);
  if (name.startsWith('/')) throw new Error(`invalid file name ${JSON.stringify(name)}: absolute paths are not allowed`);
  if (name.includes('\0')) throw new Error(`invalid file name ${JSON.stringify(name)}: contains a NUL byte`);
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new Error(`invalid file name ${JSON.stringify(name)}: '..' segments are not allowed`);
  if (segments.length === 0) throw new Error(`invalid file name ${JSON.stringify(name)}: names no file`);
  return segments;
}

interface Made {
  path: string;
  kind: 'file' | 'dir' | 'symlink' | 'fifo';
  mode?: number;
}

/**
 * Creates `files` inside `dir` (which exists and is empty). A name may hold '/': missing
 * parents are created as plain directories, but never through a symlink or a file.
 */
export async function materialize(dir: string, files: readonly FileNode[], opts: MaterializeOptions): Promise<Materialized> {
  const made: Made[] = [];
  const fifos: Materialized['fifos'] = [];
  await createNodes(dir, files, opts, made, fifos);
  if (fifos.length > 0) {
    // Node has no mknod/mkfifo: one spawn for all FIFOs of the execution
    try {
      await execa('mkfifo', ['-m', '644', '--', ...fifos.map((f) => f.path)]);
    } catch (err) {
      throw new Error(`cannot create FIFOs with mkfifo: ${(err as Error).message}`, { cause: err });
    }
  }
  // Reverse creation order visits children before their parent: a directory's times are
  // set once nothing more is created in it, and its mode (maybe 0o000) last of all.
  const time = opts.mtime ?? DEFAULT_MTIME;
  for (let i = made.length - 1; i >= 0; i--) {
    const m = made[i]!;
    if (m.kind === 'symlink') {
      await lutimes(m.path, time, time);
      continue;
    }
    await utimes(m.path, time, time);
    if (m.mode !== undefined) await chmod(m.path, m.mode & 0o7777);
  }
  await utimes(dir, time, time);
  return { fifos };
}

async function createNodes(base: string, nodes: readonly FileNode[], opts: ContentOptions, made: Made[], fifos: Materialized['fifos']): Promise<void> {
  for (const node of nodes) {
    const segments = checkNodeName(node.name);
    let parent = base;
    for (const segment of segments.slice(0, -1)) {
      parent = path.join(parent, segment);
      await ensureDir(parent, node.name, made);
    }
    const target = path.join(parent, segments[segments.length - 1]!);
    try {
      switch (node.type) {
        case 'file':
          // 'wx' (O_EXCL) refuses an existing path, symlinks included: a duplicate name cannot write through a link
          await writeFile(target, await contentBytes(node.content, opts), { flag: 'wx' });
          made.push({ path: target, kind: 'file', mode: node.mode ?? 0o644 });
          break;
        case 'dir':
          await mkdir(target);
          made.push({ path: target, kind: 'dir', mode: node.mode ?? 0o755 });
          await createNodes(target, node.entries, opts, made, fifos);
          break;
        case 'symlink':
          await symlink(node.target, target);
          made.push({ path: target, kind: 'symlink' });
          break;
        case 'fifo':
          if (fifos.some((f) => f.path === target)) throw Object.assign(new Error('file already exists'), { code: 'EEXIST' });
          fifos.push({ path: target, bytes: await contentBytes(node.content, opts) });
          made.push({ path: target, kind: 'fifo' });
          break;
        default:
          throw new Error(`unknown node type ${JSON.stringify((node as { type: unknown }).type)}`);
      }
    } catch (err) {
      const why = (err as { code?: string }).code === 'EEXIST' ? 'the name is used twice' : (err as Error).message;
      throw new Error(`cannot create ${JSON.stringify(node.name)}: ${why}`, { cause: err });
    }
  }
}

async function ensureDir(p: string, name: string, made: Made[]): Promise<void> {
  try {
    const st = await lstat(p);
    if (st.isDirectory()) return;
    throw new Error(`cannot create ${JSON.stringify(name)}: ${p} exists and is not a directory`);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  await mkdir(p);
  made.push({ path: p, kind: 'dir', mode: 0o755 });
}

/** How the runner gives stdin: bytes, /dev/null, or a file of the working directory. */
export async function stdinBytes(stdin: Stdin, dir: string, opts: ContentOptions): Promise<Buffer | 'null' | { file: string }> {
  switch (stdin.from) {
    case 'null':
      return 'null';
    case 'content':
      return contentBytes(stdin.content, opts);
    case 'file': {
      const file = path.join(dir, ...checkNodeName(stdin.name));
      try {
        await stat(file); // follows symlinks: a dangling one is a missing file
        return { file };
      } catch {
        return 'null';
      }
    }
  }
}

// ---------------------------------------------------------------------------------

export interface FifoFeed {
  /** settles when the writer has exited: all bytes read, the reader gone, or aborted */
  done: Promise<void>;
  /** the writer process, once started (undefined before, or when it never started) */
  readonly pid: number | undefined;
}

let feedSeq = 0;

/**
 * Writes `bytes` into the FIFO once a reader opens it. The open blocks until then, maybe
 * forever (the program never reads it), so it happens in a child process rather than in
 * Node: a blocked open in the libuv threadpool would hold one of its four threads.
 * The bytes go through a temporary file in `scratch` (keep it outside the program's
 * working directory, or it would see the file); `signal` kills the writer.
 */
export function feedFifo(fifo: string, bytes: Buffer, signal: AbortSignal, scratch: string = os.tmpdir()): FifoFeed {
  const feed: { done: Promise<void>; pid: number | undefined } = { done: Promise.resolve(), pid: undefined };
  feed.done = (async () => {
    if (signal.aborted) return;
    const source = path.join(scratch, `fifo-${process.pid}-${++feedSeq}`);
    await writeFile(source, bytes);
    try {
      if (signal.aborted) return;
      // exec: the pid we kill is the process that blocks, not a shell above it
      const child = spawn('/bin/sh', ['-c', 'exec cat < "$1" > "$2"', 'sh', source, fifo], { stdio: 'ignore', cwd: scratch });
      // a failed spawn must end this feed, never the campaign (an unhandled 'error' would)
      child.on('error', () => {});
      feed.pid = child.pid;
      await new Promise<void>((resolve, reject) => {
        const kill = (): void => {
          child.kill('SIGKILL');
        };
        signal.addEventListener('abort', kill, { once: true });
        child.once('error', (err) => {
          signal.removeEventListener('abort', kill);
          reject(err);
        });
        child.once('close', () => {
          signal.removeEventListener('abort', kill);
          resolve();
        });
      });
    } finally {
      await rm(source, { force: true });
    }
  })();
  return feed;
}

// ---------------------------------------------------------------------------------
// Names are handled as Buffers below: a program may create names that are not UTF-8,
// and a decoded name would not find its file again.

const isPermission = (err: unknown): boolean => ['EACCES', 'EPERM'].includes((err as { code?: string }).code ?? '');
const join = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, Buffer.from('/'), name]);

/** Empties `dir`, whatever the program left: mode-000 files and directories, FIFOs, odd names. */
export async function clearDir(dir: string): Promise<void> {
  const d = Buffer.from(dir);
  try {
    await removeChildren(d);
  } catch (err) {
    if (!isPermission(err)) throw err;
    await chmod(d, 0o700); // the program may have made its cwd read-only
    await removeChildren(d);
  }
}

async function removeChildren(dir: Buffer): Promise<void> {
  let names: Buffer[];
  try {
    names = await readdir(dir, { encoding: 'buffer' });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return;
    throw err;
  }
  await Promise.all(names.map((name) => removeTree(join(dir, name))));
}

async function removeTree(p: Buffer): Promise<void> {
  try {
    await rm(p, { recursive: true, force: true }); // unlinks FIFOs without opening them
  } catch (err) {
    // not root: directories without rwx keep their entries; open them up and retry
    if (!isPermission(err) && (err as { code?: string }).code !== 'ENOTEMPTY') throw err;
    await openUp(p);
    await rm(p, { recursive: true, force: true });
  }
}

async function openUp(p: Buffer): Promise<void> {
  const st = await lstat(p);
  if (!st.isDirectory()) return; // never chmod a symlink: chmod follows it
  await chmod(p, 0o700);
  for (const name of await readdir(p, { encoding: 'buffer' })) await openUp(join(p, name));
}

/**
 * A short fingerprint of the tree under `dir`: relative names, types, regular files'
 * contents and symlinks' targets; times and modes are left out (they are ours, not the
 * program's). What cannot be read (not as root) counts by its mode instead.
 */
export async function digestDir(dir: string): Promise<string> {
  const records: Buffer[] = [];
  await digestWalk(Buffer.from(dir), Buffer.alloc(0), records);
  records.sort(Buffer.compare);
  const hash = createHash('sha256');
  // length-prefixed: names may contain newlines
  for (const r of records) hash.update(`${r.length}:`).update(r);
  return hash.digest('hex').slice(0, 12);
}

async function digestWalk(abs: Buffer, rel: Buffer, records: Buffer[]): Promise<void> {
  let names: Buffer[];
  try {
    names = await readdir(abs, { encoding: 'buffer' });
  } catch (err) {
    if (!isPermission(err)) throw err;
    const st = await lstat(abs);
    records.push(Buffer.concat([rel, Buffer.from(`\0d!\0${(st.mode & 0o7777).toString(8)}`)]));
    return;
  }
  for (const name of names) {
    const childAbs = join(abs, name);
    const childRel = rel.length > 0 ? join(rel, name) : name;
    const st = await lstat(childAbs);
    const record = (type: string, extra: Buffer | string = ''): void => {
      records.push(Buffer.concat([childRel, Buffer.from(`\0${type}\0`), Buffer.from(extra)]));
    };
    if (st.isDirectory()) {
      record('d');
      await digestWalk(childAbs, childRel, records);
    } else if (st.isFile()) record('f', await fileHash(childAbs, st.mode));
    else if (st.isSymbolicLink()) record('l', await readlink(childAbs, { encoding: 'buffer' }));
    else if (st.isFIFO()) record('p');
    else if (st.isSocket()) record('s');
    else record('?');
  }
}

async function fileHash(file: Buffer, mode: number): Promise<string> {
  let handle;
  try {
    // O_NONBLOCK: should the file have become a FIFO since lstat, the open does not hang
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (!isPermission(err)) throw err;
    return `mode:${(mode & 0o7777).toString(8)}`;
  }
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
