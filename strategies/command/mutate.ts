import type { Content, FileNode, Invocation } from '../../src/command/invocation.js';
import { sample, type Rng } from '../../src/util/rng.js';
import { anyOptionTokens, assemble, contentArb, nodeArb, positionalTokens, stdinArb, type Token } from './generate.js';
import { LIMITS } from './input.js';
import { envChangeArb } from './env-catalog.js';
import type { CommandVocabulary } from './vocabulary.js';

/** The four channels an invocation has; each command strategy leans on its own. */
export type Channel = 'args' | 'files' | 'stdin' | 'env';

type Mutator = (inv: Invocation, rng: Rng, v: CommandVocabulary, other?: Invocation) => Invocation;

/**
 * Mutates one invocation: `own` is the channel of the calling strategy (70% of the
 * mutations); the others get the rest, so that an entry one channel found is varied
 * along the other channels too (the environment of an invocation that args found).
 */
export function mutateInvocation(inv: Invocation, rng: Rng, v: CommandVocabulary, own: Channel, other?: Invocation): Invocation {
  const channel: Channel = rng.chance(0.7) ? own : rng.pick(['args', 'files', 'stdin', 'env'] as const);
  const ops = MUTATORS[channel];
  const out = rng.pick(ops)(structuredClone(inv), rng, v, other);
  return trim(out);
}

/** A mutated invocation stays within the corpus limits. */
function trim(inv: Invocation): Invocation {
  if (inv.args.length > LIMITS.args) inv.args = inv.args.slice(0, LIMITS.args);
  if (inv.files.length > LIMITS.files) inv.files = inv.files.slice(0, LIMITS.files);
  return inv;
}

/** Appends tokens' arguments and files at position `at` of `inv`'s arguments. */
function insertTokens(inv: Invocation, tokens: Token[], at: number): Invocation {
  const piece = assemble(tokens, inv.stdin, {}, inv.files);
  inv.args.splice(at, 0, ...piece.args);
  inv.files = piece.files;
  return inv;
}

const ARGS: Mutator[] = [
  // insert an option
  (inv, rng, v) => insertTokens(inv, sample(anyOptionTokens(v), rng), rng.int(inv.args.length + 1)),
  // delete an argument
  (inv, rng) => {
    if (inv.args.length > 0) inv.args.splice(rng.int(inv.args.length), 1);
    return inv;
  },
  // replace an argument by an option
  (inv, rng, v) => {
    if (inv.args.length === 0) return insertTokens(inv, sample(anyOptionTokens(v), rng), 0);
    const at = rng.int(inv.args.length);
    inv.args.splice(at, 1);
    return insertTokens(inv, sample(anyOptionTokens(v), rng), at);
  },
  // new positional arguments
  (inv, rng, v) => insertTokens(inv, sample(positionalTokens(v), rng), inv.args.length),
  // duplicate or swap
  (inv, rng) => {
    if (inv.args.length === 0) return inv;
    const a = rng.int(inv.args.length);
    if (rng.chance(0.5)) inv.args.splice(a, 0, inv.args[a] as string);
    else {
      const b = rng.int(inv.args.length);
      [inv.args[a], inv.args[b]] = [inv.args[b] as string, inv.args[a] as string];
    }
    return inv;
  },
  // the rarer argument shapes: end of options, stdin as a file, short options bundled
  (inv, rng) => {
    const r = rng.int(3);
    if (r === 0) inv.args.splice(rng.int(inv.args.length + 1), 0, '--');
    else if (r === 1) inv.args.push('-');
    else {
      const shorts = inv.args.map((a, i) => [a, i] as const).filter(([a]) => /^-[A-Za-z0-9]$/.test(a));
      if (shorts.length >= 2) {
        const [first, second] = [shorts[0] as readonly [string, number], shorts[1] as readonly [string, number]];
        inv.args[first[1]] = `${first[0]}${second[0].slice(1)}`;
        inv.args.splice(second[1], 1);
      }
    }
    return inv;
  },
  // splice: this entry's first arguments, the other's last ones, and the files both name
  (inv, rng, _v, other) => {
    if (!other) return inv;
    const head = inv.args.slice(0, rng.int(inv.args.length + 1));
    const tail = other.args.slice(rng.int(other.args.length + 1));
    const names = new Set(inv.files.map((f) => f.name));
    inv.files.push(...other.files.filter((f) => !names.has(f.name)));
    inv.args = [...head, ...tail];
    return inv;
  },
];

const FILES: Mutator[] = [
  // another content for a file
  (inv, rng, v) => withFile(inv, rng, (f) => (f.type === 'file' || f.type === 'fifo' ? { ...f, content: sample(contentArb(v), rng) } : f)),
  // the same kind of content, damaged or resized
  (inv, rng) => withFile(inv, rng, (f) => (f.type === 'file' || f.type === 'fifo' ? { ...f, content: damage(f.content, rng) } : f)),
  // another type of node under the same name (a directory where a file was expected...)
  (inv, rng, v) => withFile(inv, rng, (f) => ({ ...sample(nodeArb(v), rng), name: f.name }) as FileNode),
  // unreadable, or readable again
  (inv, rng) => withFile(inv, rng, (f) => (f.type === 'file' ? (f.mode === undefined ? { ...f, mode: 0 } : { type: 'file', name: f.name, content: f.content }) : f)),
  // one more file, named as an argument
  (inv, rng, v) => insertTokens(inv, [{ t: 'node', node: sample(nodeArb(v), rng) }], inv.args.length),
];

const STDIN: Mutator[] = [
  (inv, rng, v) => ({ ...inv, stdin: sample(stdinArb(v), rng) }),
  (inv, rng) => (inv.stdin.from === 'content' ? { ...inv, stdin: { from: 'content', content: damage(inv.stdin.content, rng) } } : inv),
  // read one of the files through stdin
  (inv, rng) => {
    const files = inv.files.filter((f) => f.type !== 'dir');
    return files.length === 0 ? inv : { ...inv, stdin: { from: 'file', name: rng.pick(files).name } };
  },
];

const ENV: Mutator[] = [
  (inv, rng, v) => ({ ...inv, env: { ...inv.env, ...sample(envChangeArb(v), rng) } }),
  (inv, rng) => {
    const keys = Object.keys(inv.env);
    if (keys.length === 0) return inv;
    const env = { ...inv.env };
    delete env[rng.pick(keys)];
    return { ...inv, env };
  },
  (inv, _rng, _v, other) => (other ? { ...inv, env: { ...inv.env, ...other.env } } : inv),
];

const MUTATORS: Record<Channel, Mutator[]> = { args: ARGS, files: FILES, stdin: STDIN, env: ENV };

function withFile(inv: Invocation, rng: Rng, change: (f: FileNode) => FileNode): Invocation {
  if (inv.files.length === 0) return inv;
  const i = rng.int(inv.files.length);
  inv.files[i] = change(inv.files[i] as FileNode);
  return inv;
}

/** Bytes flipped, a cut, another seed or size: small steps around a content that found something. */
function damage(c: Content, rng: Rng): Content {
  const out: Content = { ...c };
  switch (rng.int(4)) {
    case 0:
      out.corrupt = Math.min(4096, (c.corrupt ?? 0) + 1 + rng.int(8));
      break;
    case 1:
      out.truncate = rng.int(Math.max(1, c.size));
      break;
    case 2:
      out.seed = rng.int(0x10000);
      break;
    default:
      out.size = rng.pick([0, 1, 2, 100, c.size * 2, Math.floor(c.size / 2), 65_536, 1_000_000].filter((n) => n <= LIMITS.size));
      delete out.truncate;
  }
  return out;
}
