/**
 * Syscalls whose arguments select very different kernel behaviour (a socket family,
 * an ioctl request, a prctl option, namespace flags). With argument features on, each
 * class is a feature of its own; those that can become `--arg-rules` conditions stay
 * traced even once their name is in the seen set (see coverage/trace-always.ts).
 */
export const MULTIPLEXER_SYSCALLS = [
  'socket',
  'socketpair',
  'ioctl',
  'fcntl',
  'prctl',
  'clone',
  'clone3',
  'setsockopt',
  'getsockopt',
  'personality',
] as const;

export type MultiplexerSyscall = (typeof MULTIPLEXER_SYSCALLS)[number];

export const MULTIPLEXER_SET: ReadonlySet<string> = new Set<string>(MULTIPLEXER_SYSCALLS);

export function isMultiplexer(name: string): name is MultiplexerSyscall {
  return MULTIPLEXER_SET.has(name);
}
