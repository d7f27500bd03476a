import { commandAcceptance } from '../helpers/command-acceptance.js';
import { inv, text } from '../helpers/command-target.js';

const tree = {
  type: 'dir' as const,
  name: 'src',
  entries: [
    { type: 'file' as const, name: 'main.c', content: text(201) },
    { type: 'file' as const, name: 'README', content: text(202) },
    { type: 'dir' as const, name: 'include', entries: [{ type: 'file' as const, name: 'x.h', content: text(203, 300) }] },
  ],
};
const archive = { type: 'file' as const, name: 'release.tar', content: { kind: 'tar' as const, seed: 204, size: 3000 } };
const gzArchive = { type: 'file' as const, name: 'release.tar.gz', content: { kind: 'tar.gz' as const, seed: 205, size: 3000 } };

commandAcceptance(
  ['tar'],
  [
    inv(['-cf', 'out.tar', 'src'], [tree]),
    inv(['-cvf', 'out.tar', 'src'], [tree]),
    inv(['-tvf', 'release.tar'], [archive]),
    inv(['-xf', 'release.tar'], [archive]),
    inv(['-xvf', 'release.tar', '-C', 'dest'], [archive, { type: 'dir', name: 'dest', entries: [] }]),
    inv(['-czf', 'out.tgz', 'src'], [tree]),
    inv(['-xzf', 'release.tar.gz'], [gzArchive]),
    inv(['-tzf', 'release.tar.gz'], [gzArchive]),
    inv(['--exclude=*.h', '-cf', 'out.tar', 'src'], [tree]),
    inv(['--list', '--file=release.tar'], [archive]),
    inv(['-cf', '-', 'src'], [tree]),
    inv(['-xf', 'missing.tar']),
  ],
  { syscalls: ['openat', 'read', 'write', 'mkdirat', 'getdents64', 'wait4'] },
);
