/**
 * One execution of a command-line target: the program runs once, in a fresh working
 * directory of its own, with this argument vector, stdin, environment and files.
 * Inputs are plain JSON so that the corpus stores them as they are; file contents are
 * described (kind, seed, size) rather than stored, so a 10 MB input stays a small entry.
 */

/** What a generated file or stdin holds. */
export type ContentKind =
  | 'empty'
  | 'text' // printable words and lines
  | 'lines' // many short lines, repeated keys (sort/uniq/grep-friendly)
  | 'binary' // random bytes, NULs included
  | 'large' // text of `size` bytes, meant to be big (MiBs)
  | 'utf8' // multi-byte characters, invalid sequences at `seed`'s whim
  | 'json'
  | 'gzip' // gzip of `text`
  | 'xz'
  | 'bzip2'
  | 'zstd'
  | 'tar' // ustar archive: a file, a directory, a symlink
  | 'tar.gz'
  | 'sample' // a file shipped in corpus/files/ or given with --seeds
  | 'bytes'; // literal bytes (mutated stdin, user seeds)

export interface Content {
  kind: ContentKind;
  /** drives every random choice of the generator: the same content always has the same bytes */
  seed: number;
  /** approximate size in bytes of the uncompressed payload */
  size: number;
  /** flip this many bytes after generation (corrupted archives, broken encodings) */
  corrupt?: number;
  /** keep only the first N bytes (truncated archives) */
  truncate?: number;
  /** kind 'sample': the file name, relative to the sample directories */
  sample?: string;
  /** kind 'bytes': the bytes, base64 */
  base64?: string;
}

/** A path the program may see in its working directory. Names are relative, without '..'. */
export type FileNode =
  | { type: 'file'; name: string; content: Content; /** octal permission bits, e.g. 0o000 for unreadable */ mode?: number }
  | { type: 'dir'; name: string; entries: FileNode[]; mode?: number }
  | { type: 'symlink'; name: string; /** relative or absolute; may dangle */ target: string }
  | { type: 'fifo'; name: string; /** written into the FIFO once the program opens it */ content: Content };

export type Stdin =
  | { from: 'null' } // /dev/null
  | { from: 'content'; content: Content }
  | { from: 'file'; name: string }; // one of `files` (or a missing path: then like /dev/null)

export interface Invocation {
  /** arguments after the program (and after the user's fixed arguments); relative paths are in the run's cwd */
  args: string[];
  stdin: Stdin;
  /** changes to the base environment: a string sets, null removes */
  env: Record<string, string | null>;
  files: FileNode[];
}

export const EMPTY_INVOCATION: Invocation = { args: [], stdin: { from: 'null' }, env: {}, files: [] };

/** How one run of the program ended and what it left behind. */
export interface ProcessResult {
  /** exit code, when it exited */
  code?: number;
  /** signal name, when a signal ended it */
  signal?: string;
  /** killed by us after the execution timeout */
  timedOut: boolean;
  /** short stable digests, for comparing an unconfined run with a confined one */
  stdoutDigest: string;
  stderrDigest: string;
  /** digest of the regular files' names and contents in the cwd after the run */
  filesDigest: string;
  stdoutBytes: number;
  stderrBytes: number;
  /** the last lines of stderr, for crash records */
  stderrTail: string;
  /** the first bytes of stderr: the program's first complaint, a state worth telling apart */
  stderrHead: string;
  durationMs: number;
}

/** What command-mode strategies use to run the program (DeliveryContext.command). */
export interface CommandRunner {
  run(invocation: Invocation, signal: AbortSignal): Promise<ProcessResult>;
}

/** A FileNode before it gets its name (generators name files when they assemble an invocation). */
export type UnnamedNode = FileNode extends infer N ? (N extends FileNode ? Omit<N, 'name'> : never) : never;
