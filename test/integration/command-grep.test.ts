import { commandAcceptance } from '../helpers/command-acceptance.js';
import { inv, text } from '../helpers/command-target.js';

const notes = (seed: number) => ({ type: 'file' as const, name: 'notes.txt', content: text(seed, 5000) });
const lines = { type: 'file' as const, name: 'table.txt', content: { kind: 'lines' as const, seed: 301, size: 4000 } };

commandAcceptance(
  ['grep'],
  [
    inv(['-n', 'the', 'notes.txt'], [notes(302)]),
    inv(['-ri', 'a', 'docs'], [{ type: 'dir', name: 'docs', entries: [{ type: 'file', name: 'a.md', content: text(303) }, { type: 'file', name: 'b.md', content: text(304) }] }]),
    inv(['-c', 'e'], [], { from: 'content', content: text(305) }),
    inv(['-E', 'a|b', 'notes.txt'], [notes(306)]),
    inv(['-F', '-x', 'foo', 'notes.txt'], [notes(307)]),
    inv(['-v', '-e', 'a', '-e', 'b', 'table.txt'], [lines]),
    inv(['-l', 'the', 'notes.txt', 'table.txt'], [notes(308), lines]),
    inv(['-o', '[0-9][0-9]*', 'table.txt'], [lines]),
    inv(['--color=always', 'the', 'notes.txt'], [notes(309)]),
    inv(['-q', 'the', 'notes.txt'], [notes(310)]),
    inv(['-w', '-m', '1', 'the', 'notes.txt'], [notes(311)]),
    inv(['-s', 'x', 'missing.txt']),
  ],
  { syscalls: ['openat', 'read', 'write', 'newfstatat', 'getdents64'] },
);
