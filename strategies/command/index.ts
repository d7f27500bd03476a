import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Invocation } from '../../src/command/invocation.js';
import { mineGrammar, parseGrammarOverride, applyOverride, isInformational, type Grammar } from '../../src/command/grammar/index.js';
import { dataError, usageError } from '../../src/errors.js';
import { shellWords } from '../../src/command/shell-words.js';
import type { CommandStrategy } from '../../src/strategy.js';
import { deliverInvocation } from './deliver.js';
import { exampleInvocation } from './examples.js';
import { anyOptionTokens, assemble, contentArb, nodeArb, positionalTokens, stdinArb, type Token } from './generate.js';
import { describeInvocation, validateInvocation } from './input.js';
import { envChangeArb } from './env-catalog.js';
import { mutateInvocation, type Channel } from './mutate.js';
import type { CommandVocabulary } from './vocabulary.js';

export { validateInvocation, describeInvocation } from './input.js';
export { shellWords } from '../../src/command/shell-words.js';
export type { CommandVocabulary } from './vocabulary.js';

export const COMMAND_CHANNELS = ['args', 'files', 'stdin', 'env'] as const satisfies readonly Channel[];

export interface CommandOptions {
  program: string;
  /** the user's own arguments after the program: every run starts with them */
  fixedArgs: string[];
  /** corpus/files and the --seeds directories */
  sampleDirs: string[];
  /** `--grammar FILE` */
  grammarFile?: string;
  /** mine the grammar with the program in a read-only mount namespace (as its runs are) */
  sandbox?: boolean;
}

/** The grammar mined from the program (--help, -h, man), with the user's override applied. */
export async function commandVocabulary(o: CommandOptions, seedDirs: readonly string[]): Promise<CommandVocabulary> {
  let grammar: Grammar = await mineGrammar(o.program, { sandbox: o.sandbox ?? false });
  if (o.grammarFile) {
    let text: string;
    try {
      text = readFileSync(o.grammarFile, 'utf8');
    } catch (err) {
      throw usageError(`cannot read --grammar ${o.grammarFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      grammar = applyOverride(grammar, parseGrammarOverride(text, o.grammarFile), o.grammarFile);
    } catch (err) {
      throw dataError((err as Error).message);
    }
  }
  const samples = new Set<string>();
  for (const dir of [...o.sampleDirs, ...seedDirs]) for (const name of plainFiles(dir)) if (!isInvocationSeed(name)) samples.add(name);
  return { program: path.basename(o.program), grammar, samples: [...samples].sort(), programEnv: grammar.envVars ?? [] };
}

function plainFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !e.name.includes('/'))
    .map((e) => e.name)
    .sort();
}

const isInvocationSeed = (name: string) => name.endsWith('.json') && name.startsWith('invocation') || name.endsWith('.args');

/**
 * The user's own invocations from --seeds directories: `*.args` files hold one argument
 * list per line (words split as a shell would, without expansion), `invocation*.json`
 * files hold one invocation each. Every other file is sample content.
 */
export function loadInvocationSeeds(seedDirs: readonly string[]): Invocation[] {
  const out: Invocation[] = [];
  for (const dir of seedDirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(`seed directory not found: ${dir}`);
    for (const name of plainFiles(dir).filter(isInvocationSeed)) {
      const file = path.join(dir, name);
      const text = readFileSync(file, 'utf8');
      try {
        if (name.endsWith('.args')) {
          for (const line of text.split('\n')) {
            const trimmed = line.trim();
            if (trimmed === '' || trimmed.startsWith('#')) continue;
            out.push({ args: shellWords(trimmed), stdin: { from: 'null' }, env: {}, files: [] });
          }
        } else out.push(validateInvocation(JSON.parse(text)));
      } catch (err) {
        throw dataError(`seed file ${file}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}

/** Channel by channel: what a fresh input of that channel looks like. */
function arbitraryFor(channel: Channel, v: CommandVocabulary): fc.Arbitrary<Invocation> {
  const none = fc.constant<Token[]>([]);
  const subcommand: fc.Arbitrary<Token[]> =
    v.grammar.subcommands.length > 0 ? fc.oneof(none, fc.constantFrom(...v.grammar.subcommands).map((s): Token[] => [{ t: 'lit', text: s }])) : none;
  const options = fc.array(anyOptionTokens(v), { maxLength: 4 }).map((lists) => lists.flat());
  switch (channel) {
    case 'args':
      return fc
        .tuple(subcommand, options, positionalTokens(v), fc.oneof(fc.constant<{ from: 'null' }>({ from: 'null' }), stdinArb(v)))
        .map(([sub, opts, pos, stdin]) => assemble([...sub, ...opts, ...pos], stdin));
    case 'files':
      return fc
        .tuple(fc.array(nodeArb(v), { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([nodes, viaStdin]) => {
          const inv = assemble(nodes.map((node): Token => ({ t: 'node', node })), { from: 'null' });
          const first = inv.files[0];
          if (viaStdin && first && first.type !== 'dir') return { ...inv, args: inv.args.slice(1), stdin: { from: 'file', name: first.name } };
          return inv;
        });
    case 'stdin':
      return fc
        .tuple(fc.oneof({ weight: 4, arbitrary: fc.constant<Token[]>([]) }, { weight: 1, arbitrary: anyOptionTokens(v) }), contentArb(v))
        .map(([opts, content]) => assemble(opts, { from: 'content', content }));
    case 'env':
      return fc
        .tuple(positionalTokens(v), envChangeArb(v), stdinArb(v))
        .map(([pos, env, stdin]) => assemble(pos, stdin, env));
  }
}

/** At most this many sweep seeds: a deterministic stage, not a campaign of its own. */
const MAX_SWEEP = 400;

/**
 * A deterministic stage, as AFL runs one before havoc: each documented example once more
 * with each one-letter flag added (`tar -cf archive.tar foo bar -z`). The everyday uses
 * plus one switch are where most of a program's paths are (compression through a child,
 * verbose listings, keep/force modes), and random option draws find them only by luck.
 */
function exampleSweep(v: CommandVocabulary): Invocation[] {
  const flags = v.grammar.options
    .filter((o) => o.arg === 'none' && !isInformational(o))
    .map((o) => o.names.find((n) => /^-[A-Za-z0-9]$/.test(n)))
    .filter((n): n is string => n !== undefined);
  const out: Invocation[] = [];
  // Without documented examples: each flag on a plain file, a compressed one and a cut one
  // (after the pattern when the usage line asks for one first, as grep's does).
  const lead = v.grammar.positionals.find((p) => !p.optional && p.kind !== 'file' && p.kind !== 'directory') ? ['a'] : [];
  const bases = (v.grammar.examples ?? []).length > 0 ? (v.grammar.examples ?? []).slice(0, 4) : [[...lead, 'f1.txt'], [...lead, 'f1.gz'], [...lead, 'f2.gz']];
  for (const words of bases) {
    for (const flag of flags) {
      if (words.includes(flag)) continue;
      const inv = exampleInvocation([...words, flag]);
      // f2.gz: the same archive cut short, for the error paths (gzip -d removes its partial output)
      for (const f of inv.files) if (f.type === 'file' && f.name === 'f2.gz') f.content.truncate = 100;
      out.push(inv);
      if (out.length >= MAX_SWEEP) return out;
    }
  }
  return out;
}

/** What every run of a channel starts from before the arbitraries take over. */
function seedsFor(channel: Channel, v: CommandVocabulary): Invocation[] {
  const text = { kind: 'text' as const, seed: 1, size: 1000 };
  switch (channel) {
    case 'args': {
      const informational = v.grammar.options.flatMap((o) => o.names).filter((n) => n === '--help' || n === '--version');
      return [
        { args: [], stdin: { from: 'null' }, env: {}, files: [] },
        { args: [], stdin: { from: 'content', content: text }, env: {}, files: [] },
        ...informational.map((n) => ({ args: [n], stdin: { from: 'null' as const }, env: {}, files: [] })),
        // the everyday uses the program documents, with files of the kinds their names suggest
        ...(v.grammar.examples ?? []).map((words) => exampleInvocation(words)),
        ...exampleSweep(v),
      ];
    }
    case 'files':
      return (['text', 'gzip', 'xz', 'bzip2', 'tar', 'empty'] as const).map((kind, i) =>
        assemble([{ t: 'node', node: { type: 'file', content: { kind, seed: i + 1, size: 1000 } } }], { from: 'null' }),
      );
    case 'stdin':
      return (['text', 'gzip', 'binary'] as const).map((kind) => ({ args: [], stdin: { from: 'content' as const, content: { kind, seed: 1, size: 1000 } }, env: {}, files: [] }));
    case 'env':
      return [];
  }
}

export function createCommandStrategy(channel: Channel, v: CommandVocabulary, userSeeds: Invocation[] = []): CommandStrategy<Invocation> {
  return {
    name: channel,
    family: 'invocation',
    target: 'command',
    arbitrary: () => arbitraryFor(channel, v),
    mutate: (input, rng, other) => mutateInvocation(input, rng, v, channel, other),
    deliver: (input, ctx) => deliverInvocation(validateInvocation(input), ctx),
    validate: validateInvocation,
    describe: (input) => describeInvocation(input, v.program),
    seeds: () => [...seedsFor(channel, v), ...userSeeds],
  };
}
