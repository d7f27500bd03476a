import { readFileSync } from 'node:fs';
import { environmentError } from '../errors.js';

/**
 * Interim x86_64 syscall name <-> number lookup, read from the kernel's UAPI header.
 * `src/syscalls/table.ts` (`isKnownSyscall(name, 'x86_64')`, `syscallName(nr, 'x86_64')`)
 * replaces it: when that lands, each exported function below becomes a one-line call.
 * The header only knows the syscalls of the kernel it was packaged for; names newer than
 * that are rejected until the real table arrives.
 */
const UNISTD_64_HEADERS = [
  '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  '/usr/include/asm/unistd_64.h',
];

let numberToName: Map<number, string> | undefined;
let knownNames: Set<string> | undefined;

function loadHeader(): Map<number, string> {
  if (numberToName) return numberToName;
  for (const path of UNISTD_64_HEADERS) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const table = new Map<number, string>();
    for (const match of text.matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) {
      table.set(Number(match[2]), match[1]!);
    }
    numberToName = table;
    knownNames = new Set(table.values());
    return table;
  }
  throw environmentError(
    'cannot read the x86_64 syscall table: none of ' + UNISTD_64_HEADERS.join(', ') + ' exists',
    'install linux-libc-dev',
  );
}

export function isKnownX86_64Syscall(name: string): boolean {
  loadHeader();
  return knownNames!.has(name);
}

/** The x86_64 name of syscall number `nr`, or undefined when the table does not know it. */
export function x86_64SyscallName(nr: number): string | undefined {
  return loadHeader().get(nr);
}
