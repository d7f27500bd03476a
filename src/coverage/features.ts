import type { ResumedEvent, SyscallEvent } from '../trace/events.js';
import { canonicalSyscallName, type Arch } from '../syscalls/table.js';
import type { MultiplexerSyscall } from '../syscalls/multiplexers.js';

/**
 * A unit of coverage. Either a plain syscall name as the syscall table spells it
 * (`openat`, never strace's `syscall_0x1c3`), or that name followed by a qualifier:
 *  - `:` and an argument class of a multiplexer: `socket:AF_INET6:SOCK_STREAM`,
 *    `ioctl:TCGETS`, `clone:CLONE_NEWNS`, `clone3:no-namespace`;
 *  - `!` and a fault-injection outcome (`clone3!ENOSYS->clone`, made elsewhere).
 * Syscall names are made of `[a-z0-9_]`, so the name always ends at the first `:` or `!`.
 * Secondary features start with `@` (`@exit:1`, `@signal:SIGSEGV`, `@status:404`): a
 * state of the target, not a syscall; they keep inputs in the corpus, never in a profile.
 */
export type Feature = string;

export interface FeatureOptions {
  /** add argument classes of the multiplexers (see src/syscalls/multiplexers.ts) */
  argFeatures: boolean;
  arch: Arch;
}

/**
 * The features one event contributes. Only entries count: a complete call or the
 * first half of an interrupted one gives its name and, with argFeatures, its argument
 * class. A resumed half gives nothing when the parser saw its first half
 * (`firstHalfSeen: true`, set by StraceParser), and the bare name otherwise, since its
 * arguments are then incomplete.
 */
export function featuresOf(ev: SyscallEvent | ResumedEvent, opts: FeatureOptions): Feature[] {
  const name = canonicalSyscallName(ev.name, opts.arch);
  if (ev.kind === 'resumed') return 'firstHalfSeen' in ev && ev.firstHalfSeen === true ? [] : [name];
  if (!opts.argFeatures) return [name];
  const decode = DECODERS.get(name);
  if (!decode) return [name];
  const features: Feature[] = [name];
  for (const cls of decode(ev.args)) features.push(`${name}:${cls}`);
  return features;
}

/** The syscall a feature belongs to: `socket` for `socket:AF_INET:SOCK_STREAM`. */
export function syscallOfFeature(feature: Feature): string {
  for (let i = 0; i < feature.length; i++) {
    const c = feature[i];
    if (c === ':' || c === '!') return feature.slice(0, i);
  }
  return feature;
}

/** True for a plain syscall name, false for an argument class, fault outcome or secondary feature. */
export function isSyscallFeature(feature: Feature): boolean {
  return !feature.includes(':') && !feature.includes('!') && !feature.startsWith(SECONDARY);
}

const SECONDARY = '@';

/** `@exit:1`: a secondary feature of the given kind (exit, signal, status...). */
export function secondaryFeature(kind: string, value: string | number): Feature {
  return `${SECONDARY}${kind}:${String(value).replace(/\s+/g, '_')}`;
}

export function isSecondaryFeature(feature: Feature): boolean {
  return feature.startsWith(SECONDARY);
}

/**
 * The syscall a feature says the target needs: `socket` for `socket:AF_INET:SOCK_STREAM`;
 * undefined for fault causes (they name a fault) and secondary features (no syscall).
 */
export function neededSyscall(feature: Feature): string | undefined {
  if (feature.startsWith(SECONDARY) || feature.includes('!')) return undefined;
  return syscallOfFeature(feature);
}

type Decoder = (args: readonly string[]) => string[];

/** An argument as a feature token: strace's `/* comments *\/` and all blanks removed. */
function token(arg: string | undefined): string | undefined {
  if (arg === undefined) return undefined;
  const t = (arg.includes('/*') ? arg.replace(/\/\*.*?\*\//g, '') : arg).replace(/\s+/g, '');
  return t.length > 0 ? t : undefined;
}

/** `SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK` -> `SOCK_STREAM`: the flags do not change the kind of socket. */
function socketType(arg: string | undefined): string | undefined {
  const t = token(arg);
  if (t === undefined) return undefined;
  const kept = t.split('|').filter((f) => f !== 'SOCK_CLOEXEC' && f !== 'SOCK_NONBLOCK');
  return kept.length > 0 ? kept.join('|') : t;
}

const familyAndType: Decoder = (args) => {
  const family = token(args[0]);
  const type = socketType(args[1]);
  return family && type ? [`${family}:${type}`] : [];
};

const levelAndOption: Decoder = (args) => {
  const level = token(args[1]);
  const option = token(args[2]);
  return level && option ? [`${level}:${option}`] : [];
};

const single =
  (index: number): Decoder =>
  (args) => {
    const t = token(args[index]);
    return t ? [t] : [];
  };

/**
 * strace prints a request number shared by several drivers as all its names:
 * `SNDCTL_TMR_START or TCSETS`. The lexicographically greatest name is kept, so the
 * feature does not depend on strace's print order; for the common tty collisions that
 * is the tty name (TCGETS, TCSETS...).
 */
const ioctlRequest: Decoder = (args) => {
  const request = args[1];
  if (request === undefined) return [];
  const chosen = request.includes(' or ')
    ? request.split(' or ').reduce((best, alt) => (alt.trim() > best ? alt.trim() : best), '')
    : request;
  const t = token(chosen);
  return t ? [t] : [];
};

/** Each CLONE_NEW* flag, or `no-namespace`; nothing when the flags were not printed. */
function namespaceClasses(flags: string | undefined): string[] {
  if (flags === undefined) return [];
  const namespaces = flags
    .split('|')
    .map((f) => f.trim())
    .filter((f) => f.startsWith('CLONE_NEW'));
  return namespaces.length > 0 ? namespaces : ['no-namespace'];
}

/** clone(child_stack=..., flags=CLONE_NEWNS|SIGCHLD, ...) */
const cloneNamespaces: Decoder = (args) => {
  const flags = args.find((a) => a.startsWith('flags='));
  return namespaceClasses(flags === undefined ? undefined : flags.slice(6));
};

const CLONE3_FLAGS = /(?:^\{|, )flags=([^,}]*)/;

/** clone3({flags=CLONE_NEWPID|CLONE_NEWNET, exit_signal=SIGCHLD, ...}, 88) */
const clone3Namespaces: Decoder = (args) => {
  const struct = args[0];
  const match = struct === undefined ? null : CLONE3_FLAGS.exec(struct);
  return namespaceClasses(match?.[1]);
};

const BY_MULTIPLEXER: Record<MultiplexerSyscall, Decoder> = {
  socket: familyAndType,
  socketpair: familyAndType,
  ioctl: ioctlRequest,
  fcntl: single(1),
  prctl: single(0),
  personality: single(0),
  clone: cloneNamespaces,
  clone3: clone3Namespaces,
  setsockopt: levelAndOption,
  getsockopt: levelAndOption,
};

/** A Map so that a traced name such as `constructor` never finds an Object.prototype member. */
const DECODERS: ReadonlyMap<string, Decoder> = new Map(Object.entries(BY_MULTIPLEXER));
