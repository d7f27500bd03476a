import { usageError } from '../errors.js';

/** How to tell that a freshly started target is ready for inputs. */
export type ReadySpec =
  | { kind: 'port' } // the instance's {port} accepts TCP connections
  | { kind: 'log'; pattern: RegExp } // a line of the target's stdout/stderr matches
  | { kind: 'delay'; ms: number }; // nothing to watch: wait a fixed time

/** A file rendered with the placeholders into each instance's own workdir. */
export interface TemplateSpec {
  source: string;
  /** path relative to the instance's workdir */
  destination: string;
}

/** What runs under the tracer: a long-running server, or a command run once per input. */
export type TargetSpec = ServerTargetSpec | CommandTargetSpec;

/** Everything needed to start one more instance of a server target. */
export interface ServerTargetSpec {
  kind: 'server';
  /** argv with placeholders, e.g. ['node', 'server.mjs', '--port', '{port}'] */
  command: string[];
  /** 'auto': every instance gets a free port; a number: a fixed port (then --jobs must be 1) */
  port: 'auto' | number;
  ready: ReadySpec;
  readyTimeoutMs: number;
  templates: TemplateSpec[];
  /** extra environment for the target */
  env: Record<string, string>;
}

/** A program run once per input, each time in a fresh working directory. */
export interface CommandTargetSpec {
  kind: 'command';
  /** the program and the user's fixed arguments; each input appends its own */
  command: string[];
  /** extra environment for every run (the env strategy varies it further) */
  env: Record<string, string>;
  /** where `sample` file contents are looked up (corpus/files and --seeds directories) */
  sampleDirs: string[];
  /** runs in a mount namespace where only the job's own directories are writable (see FsSandbox) */
  sandbox: boolean;
}

/**
 * Per-instance values substituted for `{port}`, `{workdir}` and, in --template files,
 * `{generation}`: 0 at start, one more each time a lifecycle input re-renders the
 * templates before a reload, so that the reloaded configuration really differs.
 */
export interface Placeholders {
  port: number;
  workdir: string;
  generation?: number;
}

const PLACEHOLDER = /\{(port|workdir|generation)\}/g;

export function renderPlaceholders(text: string, values: Placeholders): string {
  return text.replace(PLACEHOLDER, (_, name: 'port' | 'workdir' | 'generation') => String(values[name] ?? 0));
}

export function usesPlaceholder(spec: ServerTargetSpec, name: 'port' | 'workdir'): boolean {
  return spec.command.some((arg) => arg.includes(`{${name}}`));
}

/** `--template SRC=DEST`: DEST must stay inside the workdir. */
export function parseTemplateOption(text: string): TemplateSpec {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) {
    throw usageError(`--template expects SRC=DEST, got '${text}'`, 'e.g. --template examples/nginx/nginx.conf=nginx.conf');
  }
  const source = text.slice(0, eq);
  const destination = text.slice(eq + 1);
  if (destination.startsWith('/') || destination.split('/').includes('..')) {
    throw usageError(`--template destination '${destination}' must be a relative path inside the instance's workdir`);
  }
  return { source, destination };
}

/** `--ready port`, `--ready /regex/`, `--ready 2s`. */
export function parseReadyOption(text: string | undefined, hasPort: boolean): ReadySpec {
  if (text === undefined) {
    return hasPort ? { kind: 'port' } : { kind: 'delay', ms: 1000 };
  }
  if (text === 'port') return { kind: 'port' };
  const slash = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (slash) {
    try {
      return { kind: 'log', pattern: new RegExp(slash[1] ?? '', slash[2]) };
    } catch (err) {
      throw usageError(`--ready: invalid regular expression ${text}: ${(err as Error).message}`);
    }
  }
  const delay = /^(\d+)(ms|s)$/.exec(text);
  if (delay) return { kind: 'delay', ms: Number(delay[1]) * (delay[2] === 's' ? 1000 : 1) };
  throw usageError(`--ready expects 'port', a /regex/ matched against the target's output, or a delay like 2s; got '${text}'`);
}
