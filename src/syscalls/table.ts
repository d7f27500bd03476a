import { AARCH64_SYSCALLS } from './aarch64.js';
import { X86_64_SYSCALLS } from './x86_64.js';

/**
 * One name -> number table per architecture. Adding an architecture is one line
 * here (plus its generated table module); `Arch` follows from the keys.
 */
const TABLES = {
  x86_64: X86_64_SYSCALLS,
  aarch64: AARCH64_SYSCALLS,
} as const satisfies Record<string, Readonly<Record<string, number>>>;

export type Arch = keyof typeof TABLES;

export const ARCHES: readonly Arch[] = Object.keys(TABLES) as Arch[];

interface Indexed {
  byName: ReadonlyMap<string, number>;
  byNumber: ReadonlyMap<number, string>;
  /** names in syscall-number order */
  names: readonly string[];
}

const indexes = new Map<Arch, Indexed>();

function indexOf(arch: Arch): Indexed {
  let index = indexes.get(arch);
  if (!index) {
    const entries = Object.entries(TABLES[arch] as Readonly<Record<string, number>>).sort((a, b) => a[1] - b[1]);
    index = {
      byName: new Map(entries),
      byNumber: new Map(entries.map(([name, nr]) => [nr, name])),
      names: entries.map(([name]) => name),
    };
    indexes.set(arch, index);
  }
  return index;
}

export function syscallNumber(name: string, arch: Arch): number | undefined {
  return indexOf(arch).byName.get(name);
}

export function syscallName(nr: number, arch: Arch): string | undefined {
  return indexOf(arch).byNumber.get(nr);
}

export function isKnownSyscall(name: string, arch: Arch): boolean {
  return indexOf(arch).byName.has(name);
}

/** Every syscall name of `arch`, in number order. */
export function allSyscalls(arch: Arch): readonly string[] {
  return indexOf(arch).names;
}

const UNKNOWN_PREFIX = 'syscall_0x';

/**
 * The table's name for a name as strace prints it. strace prints calls newer than
 * itself as `syscall_0x1c3` (strace 6.1 predates cachestat, mseal...): those map to
 * the table's name when the number is known; anything else is returned unchanged.
 */
export function canonicalSyscallName(straceName: string, arch: Arch): string {
  if (!straceName.startsWith(UNKNOWN_PREFIX)) return straceName;
  const hex = straceName.slice(UNKNOWN_PREFIX.length);
  if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) return straceName;
  return syscallName(parseInt(hex, 16), arch) ?? straceName;
}
