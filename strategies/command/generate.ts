import fc from 'fast-check';
import type { Content, ContentKind, FileNode, Invocation, Stdin, UnnamedNode } from '../../src/command/invocation.js';
import type { ArgKind, OptionSpec } from '../../src/command/grammar/index.js';
import { isInformational } from '../../src/command/grammar/index.js';
import { EXTENSION, VALUES, type CommandVocabulary } from './vocabulary.js';

/**
 * Arbitraries for the parts of an invocation. Arguments that name files are generated
 * as tokens first and get their names when the invocation is assembled, so that every
 * file an argument names exists (or is missing on purpose).
 */
export type Token =
  | { t: 'lit'; text: string }
  /** a file (or dir, symlink, fifo) made for this run; `prefix` like `--file=` joins it to an option */
  | { t: 'node'; node: UnnamedNode; prefix?: string }
  /** a path that does not exist */
  | { t: 'missing'; prefix?: string };

/** Sizes around the usual buffer sizes; big inputs come from kind 'large' (rare: they are slow to run). */
const SIZES = [0, 1, 17, 100, 1000, 4096, 10_000, 65_536, 200_000];
const LARGE_BASE = 1024 * 1024; // above glibc's mmap threshold: big buffers come from mmap

export function contentArb(v: CommandVocabulary, kinds?: readonly ContentKind[]): fc.Arbitrary<Content> {
  const usable: ContentKind[] = (kinds ?? (['text', 'text', 'lines', 'binary', 'utf8', 'json', 'gzip', 'xz', 'bzip2', 'zstd', 'tar', 'tar.gz', 'empty', 'sample'] as ContentKind[])).filter(
    (k) => k !== 'sample' || v.samples.length > 0,
  );
  const kind = kinds ? fc.constantFrom(...usable) : fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...usable) }, { weight: 1, arbitrary: fc.constant<ContentKind>('large') });
  return fc
    .record({
      kind,
      seed: fc.nat({ max: 0xffff }),
      size: fc.constantFrom(...SIZES),
      // a damaged file is where parsers keep their error paths: a third of all contents
      damage: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constant(-1) }),
      sample: v.samples.length > 0 ? fc.constantFrom(...v.samples) : fc.constant(''),
    })
    .map(({ kind, seed, size, damage, sample }) => {
      const c: Content = { kind, seed, size: kind === 'large' ? LARGE_BASE + size : size };
      if (kind === 'sample') c.sample = sample;
      if (damage > 0) c.corrupt = damage;
      if (damage < 0) c.truncate = Math.max(1, Math.floor(size / 2)); // a cut archive or text
      return c;
    });
}

/** A file for a FILE argument: mostly regular, sometimes a directory, link, FIFO or unreadable. */
export function nodeArb(v: CommandVocabulary): fc.Arbitrary<UnnamedNode> {
  const file = contentArb(v).map((content): UnnamedNode => ({ type: 'file', content }));
  return fc.oneof(
    { weight: 12, arbitrary: file },
    { weight: 1, arbitrary: contentArb(v).map((content): UnnamedNode => ({ type: 'file', content, mode: 0 })) },
    { weight: 2, arbitrary: dirArb(v) },
    { weight: 1, arbitrary: fc.constantFrom('f1.txt', 'missing', '/dev/null', 'd1').map((target): UnnamedNode => ({ type: 'symlink', target })) },
    { weight: 1, arbitrary: contentArb(v, ['text', 'lines', 'gzip']).map((content): UnnamedNode => ({ type: 'fifo', content })) },
  ) as fc.Arbitrary<UnnamedNode>;
}

function dirArb(v: CommandVocabulary): fc.Arbitrary<UnnamedNode> {
  return fc.array(contentArb(v, ['text', 'lines', 'binary', 'gzip', 'empty']), { maxLength: 3 }).map((contents): UnnamedNode => ({
    type: 'dir',
    entries: contents.map((content, i) => ({ type: 'file' as const, name: `e${i}${EXTENSION[content.kind]}`, content })),
  }));
}

function valueTokens(v: CommandVocabulary, kind: ArgKind | undefined, choices: readonly string[] | undefined, prefix: string): fc.Arbitrary<Token> {
  const lit = (arb: fc.Arbitrary<string>) => arb.map((text): Token => ({ t: 'lit', text: `${prefix}${text}` }));
  switch (kind) {
    case 'file':
      // a missing path is also where an output goes (tar -f new.tar, sort -o out)
      return fc.oneof(
        { weight: 6, arbitrary: nodeArb(v).map((node): Token => ({ t: 'node', node, prefix })) },
        { weight: 3, arbitrary: fc.constant<Token>({ t: 'missing', prefix }) },
        { weight: 1, arbitrary: lit(fc.constantFrom('-', '/dev/null')) },
      );
    case 'directory':
      return fc.oneof(
        { weight: 6, arbitrary: dirArb(v).map((node): Token => ({ t: 'node', node, prefix })) },
        { weight: 1, arbitrary: lit(fc.constant('.')) },
        { weight: 1, arbitrary: fc.constant<Token>({ t: 'missing', prefix }) },
      );
    case 'choice': {
      const list = choices ?? [];
      if (list.length === 0) return lit(fc.constantFrom(...VALUES.string));
      return lit(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...list) }, { weight: 1, arbitrary: fc.constant('bogus') }));
    }
    case 'number':
    case 'size':
    case 'pattern':
      return lit(fc.constantFrom(...VALUES[kind]));
    default:
      return lit(fc.constantFrom(...VALUES.string, ...allChoices(v)));
  }
}

function allChoices(v: CommandVocabulary): string[] {
  return [...new Set(v.grammar.options.flatMap((o) => o.choices ?? []))];
}

/** One option as tokens: `-c`, `--suffix=.z`, `-S .z`, `--color`, `--color=never`. */
export function optionTokens(v: CommandVocabulary, opt: OptionSpec): fc.Arbitrary<Token[]> {
  const long = opt.names.filter((n) => n.startsWith('--'));
  const short = opt.names.filter((n) => !n.startsWith('--'));
  const name = fc.constantFrom(...(opt.names.length > 0 ? opt.names : ['--']));
  if (opt.arg === 'none') return name.map((n) => [{ t: 'lit', text: n }]);
  const joined = (n: string) => valueTokens(v, opt.kind, opt.choices, n.startsWith('--') ? `${n}=` : n).map((tok) => [tok]);
  const separate = (n: string) => valueTokens(v, opt.kind, opt.choices, '').map((tok): Token[] => [{ t: 'lit', text: n }, tok]);
  if (opt.arg === 'optional') {
    // an optional argument must be attached: `--color=never`, `-d3`
    return name.chain((n) => fc.oneof(fc.constant<Token[]>([{ t: 'lit', text: n }]), joined(n)));
  }
  const forms: fc.Arbitrary<Token[]>[] = [];
  for (const n of long) forms.push(joined(n), separate(n));
  for (const n of short) forms.push(separate(n), joined(n));
  return forms.length > 0 ? fc.oneof(...forms) : fc.constant([]);
}

export function anyOptionTokens(v: CommandVocabulary): fc.Arbitrary<Token[]> {
  const opts = v.grammar.options;
  if (opts.length === 0) return fc.constant([]);
  // The options a program gives one-letter names are its everyday ones (tar -c -x -t -f -z):
  // they get as many turns as the long tail of long-only options together.
  const ordinary = opts.filter((o) => !isInformational(o));
  const short = ordinary.filter((o) => o.names.some((n) => /^-[^-]/.test(n)));
  const longOnly = ordinary.filter((o) => !short.includes(o));
  const informational = opts.filter(isInformational);
  const weighted: { weight: number; arbitrary: fc.Arbitrary<OptionSpec> }[] = [];
  if (short.length > 0) weighted.push({ weight: 10, arbitrary: fc.constantFrom(...short) });
  if (longOnly.length > 0) weighted.push({ weight: 10, arbitrary: fc.constantFrom(...longOnly) });
  if (informational.length > 0) weighted.push({ weight: 1, arbitrary: fc.constantFrom(...informational) });
  const pick = fc.oneof(...weighted);
  return pick.chain((o) => optionTokens(v, o));
}

/** The positional arguments the usage line asks for; files when it says nothing. */
export function positionalTokens(v: CommandVocabulary): fc.Arbitrary<Token[]> {
  const specs = v.grammar.positionals.length > 0 ? v.grammar.positionals : [{ metavar: 'FILE', kind: 'file' as ArgKind, repeat: true, optional: true }];
  return fc.tuple(
    ...specs.map((p) => {
      const one = valueTokens(v, p.kind, undefined, '');
      const min = p.optional ? 0 : 1;
      return fc.array(one, { minLength: min, maxLength: p.repeat ? 3 : 1 });
    }),
  ).map((lists) => lists.flat());
}

export function stdinArb(v: CommandVocabulary): fc.Arbitrary<Stdin> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<Stdin>({ from: 'null' }) },
    { weight: 5, arbitrary: contentArb(v).map((content): Stdin => ({ from: 'content', content })) },
  );
}

/** Assembles tokens into an invocation: files named f1.txt, f2.gz... in order of appearance. */
export function assemble(tokens: readonly Token[], stdin: Stdin, env: Record<string, string | null> = {}, files: FileNode[] = []): Invocation {
  const taken = new Set(files.map((f) => f.name));
  const out: Invocation = { args: [], stdin, env: { ...env }, files: [...files] };
  for (const tok of tokens) {
    if (tok.t === 'lit') {
      out.args.push(tok.text);
      continue;
    }
    if (tok.t === 'missing') {
      out.args.push(`${tok.prefix ?? ''}${freshName(taken, 'missing', '.txt')}`);
      continue;
    }
    const ext = tok.node.type === 'file' || tok.node.type === 'fifo' ? EXTENSION[tok.node.content.kind] : tok.node.type === 'dir' ? '' : '.lnk';
    const name = freshName(taken, tok.node.type === 'dir' ? 'd' : 'f', ext);
    out.files.push({ ...tok.node, name } as FileNode);
    out.args.push(`${tok.prefix ?? ''}${name}`);
  }
  return out;
}

export function freshName(taken: Set<string>, stem: string, ext: string): string {
  for (let i = 1; ; i++) {
    const name = `${stem}${i}${ext}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}
