import type { Content, ContentKind, FileNode, Invocation, Stdin } from '../../src/command/invocation.js';

/** Limits a corpus file is held to before it is run: a hand-edited entry must not fill the disk. */
export const LIMITS = { args: 64, argBytes: 8192, files: 16, depth: 3, size: 64 * 1024 * 1024, base64: 1024 * 1024, envVars: 32 } as const;

export const CONTENT_KINDS: readonly ContentKind[] = [
  'empty',
  'text',
  'lines',
  'binary',
  'large',
  'utf8',
  'json',
  'gzip',
  'xz',
  'bzip2',
  'zstd',
  'tar',
  'tar.gz',
  'sample',
  'bytes',
];

const KIND_SET = new Set<string>(CONTENT_KINDS);

/** Checks a value read back from a corpus file; throws saying what is wrong. */
export function validateInvocation(raw: unknown): Invocation {
  const o = object(raw, 'invocation');
  const args = array(o.args, 'args').map((a, i) => {
    if (typeof a !== 'string') throw new Error(`args[${i}] is not a string`);
    if (a.length > LIMITS.argBytes) throw new Error(`args[${i}] is longer than ${LIMITS.argBytes} characters`);
    if (a.includes('\0')) throw new Error(`args[${i}] holds a NUL byte`);
    return a;
  });
  if (args.length > LIMITS.args) throw new Error(`more than ${LIMITS.args} args`);
  const env: Record<string, string | null> = {};
  const envIn = object(o.env ?? {}, 'env');
  if (Object.keys(envIn).length > LIMITS.envVars) throw new Error(`more than ${LIMITS.envVars} env changes`);
  for (const [k, v] of Object.entries(envIn)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`env name '${k}' is not a variable name`);
    if (v !== null && typeof v !== 'string') throw new Error(`env.${k} must be a string or null`);
    if (typeof v === 'string' && v.includes('\0')) throw new Error(`env.${k} holds a NUL byte`);
    env[k] = v;
  }
  const files = array(o.files ?? [], 'files').map((f, i) => validateNode(f, `files[${i}]`, 1));
  if (countNodes(files) > LIMITS.files) throw new Error(`more than ${LIMITS.files} files`);
  return { args, stdin: validateStdin(o.stdin ?? { from: 'null' }), env, files };
}

function validateStdin(raw: unknown): Stdin {
  const o = object(raw, 'stdin');
  if (o.from === 'null') return { from: 'null' };
  if (o.from === 'file') return { from: 'file', name: safeName(o.name, 'stdin.name') };
  if (o.from === 'content') return { from: 'content', content: validateContent(o.content, 'stdin.content') };
  throw new Error(`stdin.from must be null, file or content`);
}

export function validateContent(raw: unknown, where: string): Content {
  const o = object(raw, where);
  if (typeof o.kind !== 'string' || !KIND_SET.has(o.kind)) throw new Error(`${where}.kind must be one of ${CONTENT_KINDS.join(', ')}`);
  const c: Content = { kind: o.kind as ContentKind, seed: int(o.seed, `${where}.seed`, 0, 0xffffffff), size: int(o.size, `${where}.size`, 0, LIMITS.size) };
  if (o.corrupt !== undefined) c.corrupt = int(o.corrupt, `${where}.corrupt`, 0, 4096);
  if (o.truncate !== undefined) c.truncate = int(o.truncate, `${where}.truncate`, 0, LIMITS.size);
  if (c.kind === 'sample') c.sample = safeName(o.sample, `${where}.sample`);
  if (c.kind === 'bytes') {
    if (typeof o.base64 !== 'string' || o.base64.length > LIMITS.base64 || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.base64)) {
      throw new Error(`${where}.base64 must be base64 of at most ${(LIMITS.base64 * 3) / 4} bytes`);
    }
    c.base64 = o.base64;
  }
  return c;
}

function validateNode(raw: unknown, where: string, depth: number): FileNode {
  const o = object(raw, where);
  const name = safeName(o.name, `${where}.name`);
  const mode = o.mode === undefined ? undefined : int(o.mode, `${where}.mode`, 0, 0o7777);
  switch (o.type) {
    case 'file': {
      const node: FileNode = { type: 'file', name, content: validateContent(o.content, `${where}.content`) };
      if (mode !== undefined) node.mode = mode;
      return node;
    }
    case 'dir': {
      if (depth >= LIMITS.depth) throw new Error(`${where}: directories nest deeper than ${LIMITS.depth}`);
      const node: FileNode = { type: 'dir', name, entries: array(o.entries ?? [], `${where}.entries`).map((e, i) => validateNode(e, `${where}.entries[${i}]`, depth + 1)) };
      if (mode !== undefined) node.mode = mode;
      return node;
    }
    case 'symlink':
      // a link out of the working directory would let a writing program write there
      if (typeof o.target !== 'string' || o.target.length === 0 || o.target.length > 4096) throw new Error(`${where}.target must be a path`);
      if (o.target !== '/dev/null' && (o.target.startsWith('/') || o.target.split('/').includes('..'))) {
        throw new Error(`${where}.target '${o.target}' must stay inside the working directory (or be /dev/null)`);
      }
      return { type: 'symlink', name, target: o.target };
    case 'fifo':
      return { type: 'fifo', name, content: validateContent(o.content, `${where}.content`) };
    default:
      throw new Error(`${where}.type must be file, dir, symlink or fifo`);
  }
}

function countNodes(nodes: readonly FileNode[]): number {
  return nodes.reduce((n, f) => n + 1 + (f.type === 'dir' ? countNodes(f.entries) : 0), 0);
}

/** A path below the run's working directory: relative, no '..', no empty segments. */
function safeName(raw: unknown, where: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 255) throw new Error(`${where} must be a non-empty name`);
  if (raw.startsWith('/') || raw.split('/').some((seg) => seg === '..' || seg === '') || raw.includes('\0')) {
    throw new Error(`${where} '${raw}' must be a relative path inside the working directory`);
  }
  return raw;
}

function object(raw: unknown, where: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where} must be an object`);
  return raw as Record<string, unknown>;
}

function array(raw: unknown, where: string): unknown[] {
  if (!Array.isArray(raw)) throw new Error(`${where} must be an array`);
  return raw;
}

function int(raw: unknown, where: string, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) throw new Error(`${where} must be a whole number in ${min}..${max}`);
  return raw;
}

/** `gzip -c a.txt < text(300B) [LANG=C] {a.txt: gzip 1KiB}`: one line for humans. */
export function describeInvocation(inv: Invocation, program = ''): string {
  const parts: string[] = [];
  if (program) parts.push(program);
  parts.push(...inv.args.map(shellQuote));
  if (inv.stdin.from === 'content') parts.push(`< ${describeContent(inv.stdin.content)}`);
  if (inv.stdin.from === 'file') parts.push(`< ${shellQuote(inv.stdin.name)}`);
  const env = Object.entries(inv.env).map(([k, v]) => (v === null ? `-${k}` : `${k}=${v.length > 20 ? `${v.slice(0, 20)}…` : v}`));
  if (env.length > 0) parts.push(`[${env.join(' ')}]`);
  if (inv.files.length > 0) parts.push(`{${inv.files.map(describeNode).join(', ')}}`);
  const line = parts.join(' ');
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function describeNode(f: FileNode): string {
  switch (f.type) {
    case 'file':
      return `${f.name}: ${describeContent(f.content)}${f.mode !== undefined ? ` mode ${f.mode.toString(8)}` : ''}`;
    case 'dir':
      return `${f.name}/ (${f.entries.length})`;
    case 'symlink':
      return `${f.name} -> ${f.target}`;
    case 'fifo':
      return `${f.name}: fifo of ${describeContent(f.content)}`;
  }
}

export function describeContent(c: Content): string {
  const size = c.kind === 'empty' ? '' : c.kind === 'sample' ? ` ${c.sample}` : c.kind === 'bytes' ? ` ${Math.floor(((c.base64?.length ?? 0) * 3) / 4)}B` : ` ${humanSize(c.size)}`;
  const damage = [c.corrupt ? `${c.corrupt} bytes flipped` : '', c.truncate !== undefined ? `cut at ${c.truncate}` : ''].filter(Boolean);
  return `${c.kind}${size}${damage.length > 0 ? ` (${damage.join(', ')})` : ''}`;
}

function humanSize(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round(n / 1024 / 1024)}MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)}KiB`;
  return `${n}B`;
}

export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./=:,+@%^-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`).replace(/\n/g, '\\n')}'`;
}
