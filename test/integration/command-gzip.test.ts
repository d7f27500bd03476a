import { commandAcceptance } from '../helpers/command-acceptance.js';
import { inv, text } from '../helpers/command-target.js';

const gz = (seed: number) => ({ kind: 'gzip' as const, seed, size: 5000 });

commandAcceptance(
  ['gzip'],
  [
    inv(['-c', 'notes.txt'], [{ type: 'file', name: 'notes.txt', content: text(101) }]),
    inv(['-9', '-k', 'notes.txt'], [{ type: 'file', name: 'notes.txt', content: text(102, 20_000) }]),
    inv(['-d', '-c', 'log.gz'], [{ type: 'file', name: 'log.gz', content: gz(103) }]),
    inv(['-t', 'log.gz'], [{ type: 'file', name: 'log.gz', content: gz(104) }]),
    inv(['-l', 'log.gz'], [{ type: 'file', name: 'log.gz', content: gz(105) }]),
    inv(['-dc'], [{ type: 'file', name: 'in.gz', content: gz(106) }], { from: 'file', name: 'in.gz' }),
    inv(['--fast', '-c'], [], { from: 'content', content: text(107, 50_000) }),
    inv(['-r', 'logs'], [{ type: 'dir', name: 'logs', entries: [{ type: 'file', name: 'a.log', content: text(108) }, { type: 'file', name: 'b.log', content: text(109) }] }]),
    inv(['-f', '-S', '.z', 'notes.txt'], [{ type: 'file', name: 'notes.txt', content: text(110) }]),
    inv(['-v', 'notes.txt'], [{ type: 'file', name: 'notes.txt', content: text(111) }]),
    inv(['-d', 'broken.gz'], [{ type: 'file', name: 'broken.gz', content: { ...gz(112), truncate: 100 } }]),
    inv(['-c', 'missing.txt']),
  ],
  { syscalls: ['openat', 'read', 'write', 'unlinkat', 'fchmod'] },
);
