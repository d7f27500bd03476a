/**
 * The user's grammar file (`--grammar FILE`): adds options the help text does not show,
 * corrects mined ones, drops some, or replaces the mined grammar altogether.
 *
 *   { "options": [{ "names": ["-S", "--suffix"], "arg": "required", "kind": "string", "choices": [".z", ".gz"] }],
 *     "remove": ["--help", "--version"], "positionals": [...], "subcommands": [...], "replace": false }
 *
 * Validation is strict: unknown keys, wrong types and contradictions are errors, each a
 * single line naming the file and the JSON path of the problem.
 */
import { ARG_KINDS, type ArgKind, type Grammar, type OptionSpec, type PositionalSpec } from './types.js';

export interface GrammarOverride {
  /** options to add; one sharing a name with a mined option replaces it */
  options: OptionSpec[];
  /** names of mined options to drop (an option goes if any of its names is listed) */
  remove: string[];
  /** when given, replaces the mined positionals (order matters, so no merging) */
  positionals?: PositionalSpec[];
  /** added to the mined ones */
  subcommands?: string[];
  /** environment variables the program reads, added to the mined ones */
  envVars?: string[];
  /** true: discard the mined grammar, keep only this file's */
  replace: boolean;
}

const TOP_KEYS = ['options', 'remove', 'positionals', 'subcommands', 'envVars', 'replace'] as const;
const OPTION_KEYS = ['names', 'arg', 'kind', 'metavar', 'choices', 'description'] as const;
const POSITIONAL_KEYS = ['metavar', 'kind', 'repeat', 'optional'] as const;
const ARGS = ['none', 'required', 'optional'] as const;
const OPTION_NAME = /^--?[^\s-][^\s]*$/;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function oneOf(xs: readonly string[]): string {
  const q = xs.map((x) => JSON.stringify(x));
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

function keyPath(base: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** Parses and validates the text of a grammar file. Throws `Error` with a one-line message. */
export function parseGrammarOverride(text: string, file: string): GrammarOverride {
  const fail = (path: string, problem: string): never => {
    throw new Error(`${file}: ${path}: ${problem}`.replace(/\s*\n\s*/g, ' '));
  };
  let data: Json;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
  } catch (err) {
    throw new Error(`${file}: invalid JSON: ${(err as Error).message}`.replace(/\s*\n\s*/g, ' '));
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) fail('$', `expected an object, got ${typeName(data)}`);
  const root = data as { [k: string]: Json };
  checkKeys(root, '$', TOP_KEYS, fail);

  const stringArray = (v: Json | undefined, path: string, check?: (s: string, p: string) => void): string[] => {
    if (!Array.isArray(v)) return fail(path, `expected an array, got ${typeName(v)}`);
    return v.map((x, i) => {
      const p = `${path}[${i}]`;
      if (typeof x !== 'string') return fail(p, `expected a string, got ${typeName(x)}`);
      if (x.length === 0) return fail(p, 'empty string');
      check?.(x, p);
      return x;
    });
  };
  const optionName = (s: string, p: string): void => {
    if (!OPTION_NAME.test(s)) fail(p, `${show(s)} is not an option name (one starting with '-' or '--', without blanks)`);
  };

  const out: GrammarOverride = { options: [], remove: [], replace: false };

  if (root.replace !== undefined) {
    if (typeof root.replace !== 'boolean') fail('$.replace', `expected true or false, got ${show(root.replace)}`);
    out.replace = root.replace as boolean;
  }

  if (root.remove !== undefined) out.remove = stringArray(root.remove, '$.remove', optionName);

  if (root.options !== undefined) {
    if (!Array.isArray(root.options)) fail('$.options', `expected an array, got ${typeName(root.options)}`);
    const seen = new Map<string, string>();
    (root.options as Json[]).forEach((item, i) => {
      const p = `$.options[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) fail(p, `expected an object, got ${typeName(item)}`);
      const o = item as { [k: string]: Json };
      checkKeys(o, p, OPTION_KEYS, fail);
      if (o.names === undefined) fail(p, 'missing "names"');
      const names = stringArray(o.names, `${p}.names`, optionName);
      if (names.length === 0) fail(`${p}.names`, 'needs at least one name');
      names.forEach((n, j) => {
        const prev = seen.get(n);
        if (prev !== undefined) fail(`${p}.names[${j}]`, `${show(n)} is already a name of ${prev}`);
        seen.set(n, p);
      });
      if (o.arg === undefined) fail(p, `missing "arg" (${oneOf(ARGS)})`);
      if (typeof o.arg !== 'string' || !(ARGS as readonly string[]).includes(o.arg)) fail(`${p}.arg`, `expected ${oneOf(ARGS)}, got ${show(o.arg)}`);
      const arg = o.arg as OptionSpec['arg'];
      const spec: OptionSpec = { names, arg };
      if (o.kind !== undefined) {
        if (typeof o.kind !== 'string' || !(ARG_KINDS as readonly string[]).includes(o.kind)) fail(`${p}.kind`, `expected ${oneOf(ARG_KINDS)}, got ${show(o.kind)}`);
        if (arg === 'none') fail(`${p}.kind`, 'an option with "arg": "none" takes no argument, so it has no kind');
        spec.kind = o.kind as ArgKind;
      }
      if (o.metavar !== undefined) {
        if (typeof o.metavar !== 'string' || o.metavar.length === 0) fail(`${p}.metavar`, `expected a non-empty string, got ${show(o.metavar)}`);
        if (arg === 'none') fail(`${p}.metavar`, 'an option with "arg": "none" takes no argument, so it has no metavar');
        spec.metavar = o.metavar as string;
      }
      if (o.choices !== undefined) {
        const choices = stringArray(o.choices, `${p}.choices`);
        if (choices.length === 0) fail(`${p}.choices`, 'needs at least one value');
        if (arg === 'none') fail(`${p}.choices`, 'an option with "arg": "none" takes no argument, so it has no choices');
        spec.choices = [...new Set(choices)];
      }
      if (o.description !== undefined) {
        if (typeof o.description !== 'string') fail(`${p}.description`, `expected a string, got ${typeName(o.description)}`);
        spec.description = o.description as string;
      }
      if (arg !== 'none' && spec.kind === undefined) spec.kind = spec.choices ? 'choice' : 'string';
      if (spec.kind === 'choice' && !spec.choices) fail(`${p}.choices`, 'missing: kind "choice" needs a list of choices');
      out.options.push(spec);
    });
  }

  if (root.positionals !== undefined) {
    if (!Array.isArray(root.positionals)) fail('$.positionals', `expected an array, got ${typeName(root.positionals)}`);
    out.positionals = (root.positionals as Json[]).map((item, i) => {
      const p = `$.positionals[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(p, `expected an object, got ${typeName(item)}`);
      const o = item as { [k: string]: Json };
      checkKeys(o, p, POSITIONAL_KEYS, fail);
      if (o.metavar === undefined) fail(p, 'missing "metavar"');
      if (typeof o.metavar !== 'string' || o.metavar.length === 0) fail(`${p}.metavar`, `expected a non-empty string, got ${show(o.metavar)}`);
      if (o.kind === undefined) fail(p, `missing "kind" (${oneOf(ARG_KINDS)})`);
      if (typeof o.kind !== 'string' || !(ARG_KINDS as readonly string[]).includes(o.kind)) fail(`${p}.kind`, `expected ${oneOf(ARG_KINDS)}, got ${show(o.kind)}`);
      for (const k of ['repeat', 'optional'] as const) {
        if (o[k] !== undefined && typeof o[k] !== 'boolean') fail(`${p}.${k}`, `expected true or false, got ${show(o[k])}`);
      }
      return { metavar: o.metavar as string, kind: o.kind as ArgKind, repeat: o.repeat === true, optional: o.optional === true };
    });
  }

  if (root.subcommands !== undefined) {
    out.subcommands = stringArray(root.subcommands, '$.subcommands', (s, p) => {
      if (/\s/.test(s)) fail(p, `${show(s)}: a subcommand is one argument, without blanks`);
    });
  }

  if (root.envVars !== undefined) {
    out.envVars = stringArray(root.envVars, '$.envVars', (s, p) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) fail(p, `${show(s)} is not an environment variable name`);
    });
  }

  return out;
}

function checkKeys(o: { [k: string]: Json }, path: string, allowed: readonly string[], fail: (path: string, problem: string) => never): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(keyPath(path, k), `unknown key (expected ${oneOf(allowed)})`);
  }
}

function cloneOption(o: OptionSpec): OptionSpec {
  const c: OptionSpec = { names: [...o.names], arg: o.arg };
  if (o.kind !== undefined) c.kind = o.kind;
  if (o.metavar !== undefined) c.metavar = o.metavar;
  if (o.choices !== undefined) c.choices = [...o.choices];
  if (o.description !== undefined) c.description = o.description;
  return c;
}

/**
 * The mined grammar with the override applied: `replace` starts from nothing; `remove` drops
 * mined options by any of their names; each override option replaces the mined options it
 * shares a name with (at the place of the first) or is appended; `positionals` replaces,
 * `subcommands` and `envVars` add; sources gets `override FILE`. `base` is not modified.
 */
export function applyOverride(base: Grammar, o: GrammarOverride, file: string): Grammar {
  const start: Grammar = o.replace
    ? { program: base.program, options: [], positionals: [], subcommands: [], sources: [] }
    : {
        program: base.program,
        options: base.options.map(cloneOption),
        positionals: base.positionals.map((p) => ({ ...p })),
        subcommands: [...base.subcommands],
        sources: [...base.sources],
        ...(base.envVars ? { envVars: [...base.envVars] } : {}),
      };

  const removed = new Set(o.remove);
  let options = start.options.filter((opt) => !opt.names.some((n) => removed.has(n)));
  for (const add of o.options) {
    const names = new Set(add.names);
    const at = options.findIndex((opt) => opt.names.some((n) => names.has(n)));
    const kept = options.filter((opt) => !opt.names.some((n) => names.has(n)));
    if (at < 0) kept.push(cloneOption(add));
    else {
      // insert where the first replaced option was
      const before = options.slice(0, at).filter((opt) => !opt.names.some((n) => names.has(n))).length;
      kept.splice(before, 0, cloneOption(add));
    }
    options = kept;
  }

  const out: Grammar = {
    program: start.program,
    options,
    positionals: o.positionals ? o.positionals.map((p) => ({ ...p })) : start.positionals,
    subcommands: o.subcommands ? [...new Set([...start.subcommands, ...o.subcommands])] : start.subcommands,
    sources: [...start.sources, `override ${file}`],
  };
  const env = [...(start.envVars ?? []), ...(o.envVars ?? [])];
  if (env.length > 0 || start.envVars) out.envVars = [...new Set(env)];
  return out;
}
