import { describe, expect, it } from 'vitest';
import {
  applyOverride,
  defaultRemovals,
  isInformational,
  parseGrammarOverride,
  type Grammar,
} from '../../src/command/grammar/index.js';

describe('grammar override', () => {
  const base = (): Grammar => ({
    program: 'gzip',
    options: [
      { names: ['-c', '--stdout'], arg: 'none' },
      { names: ['-S', '--suffix'], arg: 'required', kind: 'string', metavar: 'SUF' },
      { names: ['-h', '--help'], arg: 'none' },
      { names: ['-V', '--version'], arg: 'none' },
      { names: ['-k', '--keep'], arg: 'none' },
    ],
    positionals: [{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }],
    subcommands: [],
    sources: ['--help', 'man'],
  });

  it('parses the documented format', () => {
    const o = parseGrammarOverride(
      JSON.stringify({
        options: [{ names: ['-S', '--suffix'], arg: 'required', kind: 'string', choices: ['.z', '.gz'] }],
        remove: ['--help', '--version'],
        positionals: [{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }],
        subcommands: ['x'],
        replace: false,
      }),
      'g.json',
    );
    expect(o).toEqual({
      options: [{ names: ['-S', '--suffix'], arg: 'required', kind: 'string', choices: ['.z', '.gz'] }],
      remove: ['--help', '--version'],
      positionals: [{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }],
      subcommands: ['x'],
      replace: false,
    });
    // defaults
    expect(parseGrammarOverride('{}', 'g.json')).toEqual({ options: [], remove: [], replace: false });
    expect(parseGrammarOverride('{"options":[{"names":["--x"],"arg":"required","choices":["a"]}]}', 'g.json').options[0]!.kind).toBe('choice');
    expect(parseGrammarOverride('{"options":[{"names":["--x"],"arg":"optional"}]}', 'g.json').options[0]!.kind).toBe('string');
  });

  it('rejects bad files with one-line messages naming the file and the JSON path', () => {
    const bad: [string, RegExp][] = [
      ['{', /^g\.json: invalid JSON: /],
      ['[]', /^g\.json: \$: expected an object, got an array$/],
      ['{"option": []}', /^g\.json: \$\.option: unknown key/],
      ['{"options": {}}', /^g\.json: \$\.options: expected an array, got an object$/],
      ['{"options": [{"names": ["-x"]}]}', /^g\.json: \$\.options\[0\]: missing "arg"/],
      ['{"options": [{"names": ["-x"], "arg": "maybe"}]}', /^g\.json: \$\.options\[0\]\.arg: expected "none", "required" or "optional", got "maybe"$/],
      ['{"options": [{"names": ["-x", "y"], "arg": "none"}]}', /^g\.json: \$\.options\[0\]\.names\[1\]: "y" is not an option name/],
      ['{"options": [{"names": [], "arg": "none"}]}', /^g\.json: \$\.options\[0\]\.names: needs at least one name$/],
      ['{"options": [{"names": ["-x"], "arg": "none", "kind": "file"}]}', /^g\.json: \$\.options\[0\]\.kind: .*no kind$/],
      ['{"options": [{"names": ["-x"], "arg": "required", "kind": "blob"}]}', /^g\.json: \$\.options\[0\]\.kind: expected "number", .* got "blob"$/],
      ['{"options": [{"names": ["-x"], "arg": "required", "kind": "choice"}]}', /^g\.json: \$\.options\[0\]\.choices: missing/],
      ['{"options": [{"names": ["-x"], "arg": "required", "choices": [1]}]}', /^g\.json: \$\.options\[0\]\.choices\[0\]: expected a string, got a number$/],
      ['{"options": [{"names": ["-x"], "arg": "none", "extra": 1}]}', /^g\.json: \$\.options\[0\]\.extra: unknown key/],
      ['{"options": [{"names": ["-x"], "arg": "none"}, {"names": ["--y", "-x"], "arg": "none"}]}', /^g\.json: \$\.options\[1\]\.names\[1\]: "-x" is already a name of \$\.options\[0\]$/],
      ['{"remove": ["help"]}', /^g\.json: \$\.remove\[0\]: "help" is not an option name/],
      ['{"remove": "--help"}', /^g\.json: \$\.remove: expected an array, got a string$/],
      ['{"positionals": [{"metavar": "F"}]}', /^g\.json: \$\.positionals\[0\]: missing "kind"/],
      ['{"positionals": [{"metavar": "F", "kind": "file", "repeat": "yes"}]}', /^g\.json: \$\.positionals\[0\]\.repeat: expected true or false, got "yes"$/],
      ['{"subcommands": ["a b"]}', /^g\.json: \$\.subcommands\[0\]: /],
      ['{"replace": 1}', /^g\.json: \$\.replace: expected true or false, got 1$/],
      ['{"a b": 1}', /^g\.json: \$\["a b"\]: unknown key/],
    ];
    for (const [text, re] of bad) {
      let message = '';
      try {
        parseGrammarOverride(text, 'g.json');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, text).toMatch(re);
      expect(message.includes('\n'), text).toBe(false);
    }
  });

  it('applies: remove, replace by shared name, add, positionals, sources', () => {
    const b = base();
    const o = parseGrammarOverride(
      JSON.stringify({
        options: [
          { names: ['--suffix'], arg: 'required', kind: 'string', choices: ['.z', '.gz'] },
          { names: ['--rsyncable'], arg: 'none' },
        ],
        remove: ['--help', '-V'],
        positionals: [{ metavar: 'ARCHIVE', kind: 'file' }],
        subcommands: ['zcat'],
      }),
      'g.json',
    );
    const g = applyOverride(b, o, 'g.json');
    expect(g.options.map((x) => x.names)).toEqual([['-c', '--stdout'], ['--suffix'], ['-k', '--keep'], ['--rsyncable']]);
    expect(g.options[1]).toEqual({ names: ['--suffix'], arg: 'required', kind: 'string', choices: ['.z', '.gz'] });
    expect(g.positionals).toEqual([{ metavar: 'ARCHIVE', kind: 'file', repeat: false, optional: false }]);
    expect(g.subcommands).toEqual(['zcat']);
    expect(g.sources).toEqual(['--help', 'man', 'override g.json']);
    expect(g.program).toBe('gzip');
    // the mined grammar is not modified
    expect(b).toEqual(base());
  });

  it('replace: true discards the mined grammar', () => {
    const o = parseGrammarOverride('{"replace": true, "options": [{"names": ["-z"], "arg": "none"}]}', 'over.json');
    const g = applyOverride(base(), o, 'over.json');
    expect(g).toEqual({ program: 'gzip', options: [{ names: ['-z'], arg: 'none' }], positionals: [], subcommands: [], sources: ['override over.json'] });
  });

  it('isInformational and defaultRemovals', () => {
    expect(isInformational({ names: ['-h', '--help'], arg: 'none' })).toBe(true);
    expect(isInformational({ names: ['-V', '--version'], arg: 'none' })).toBe(true);
    expect(isInformational({ names: ['-V'], arg: 'none', description: 'Print version' })).toBe(true);
    expect(isInformational({ names: ['--usage'], arg: 'none' })).toBe(true);
    expect(isInformational({ names: ['-h', '--no-filename'], arg: 'none' })).toBe(false);
    expect(isInformational({ names: ['-c', '--stdout'], arg: 'none' })).toBe(false);
    expect(defaultRemovals).toEqual([]);
  });
});
