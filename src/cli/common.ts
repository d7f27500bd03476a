import { Command, Option } from 'commander';
import type { EventEmitter } from 'node:events';
import path from 'node:path';
import { usageError } from '../errors.js';
import { assertCommandExists } from '../target/command.js';
import { parseEndpointOption, parseReadyOption, parseTemplateOption, portsNeeded, usesPortPlaceholder, type ServerTargetSpec, type TargetSpec } from '../target/spec.js';
import { parseDuration } from '../util/duration.js';
import { checkStrace } from '../trace/strace.js';
import { checkStrategyEndpoints, createStrategies, mutableKnowledge, SAMPLE_DIR, STRATEGY_NAMES, targetKindOfStrategies } from '../../strategies/index.js';
import type { AnyStrategy, TargetKind } from '../strategy.js';

/** Options every command that runs the target shares. */
export interface TargetCliOptions {
  port: string;
  ready?: string;
  readyTimeout: string;
  template: string[];
  endpoint: string[];
  env: string[];
  strace: string;
  settle: string;
  execTimeout: string;
  strategies: string;
  seeds: string[];
  signals?: string;
  grammar?: string;
  /** `--dict FILE` (repeatable), or false with `--no-dict` */
  dict: string[] | false;
  /** false with --no-sandbox */
  sandbox: boolean;
  json?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

const DICT_CONFLICT = '--dict and --no-dict contradict each other';
const collectDict = (value: string, previous: string[] | false) => {
  if (previous === false) throw usageError(DICT_CONFLICT);
  return [...previous, value];
};

export function addTargetOptions(cmd: Command): Command {
  // `--dict a --no-dict`: commander would keep the last one silently
  (cmd as unknown as EventEmitter).prependListener('option:no-dict', () => {
    const dict: unknown = cmd.getOptionValue('dict');
    if (Array.isArray(dict) && dict.length > 0) throw usageError(DICT_CONFLICT);
  });
  return cmd
    .option('--port <port>', "the target's port: a number, or 'auto' for a free port per instance (use {port} in the command)", 'auto')
    .option(
      '--ready <how>',
      "when the target is ready: 'port' (default with {port}), 'endpoints' (every --endpoint answers: TCP and unix accept, a UDP port is bound; the default when {port} carries no TCP endpoint), a /regex/ on its output, or a delay like 2s",
    )
    .option('--ready-timeout <duration>', 'give up when the target is not ready after this long', '30s')
    .option('--template <src=dest>', 'render SRC (a file, or every file below a directory) with {port}, {workdir} and {generation} into DEST inside each instance\'s workdir (repeatable)', collect, [])
    .option(
      '--endpoint <url>',
      'servers: where the input channels send: http://127.0.0.1:{port} or https://127.0.0.1:{port2} (TLS, any certificate, HTTP/2 when offered) for http; ' +
        'tcp://HOST:PORT or unix:PATH (e.g. unix:{workdir}/app.sock) for tcp; udp://HOST:PORT for udp; repeatable (default: http on {port})',
      collect,
      [],
    )
    .option('--env <key=value>', 'extra environment variable for the target (repeatable)', collect, [])
    .option(
      '--strategies <list>',
      `input channels, comma-separated: a server gets http, tcp (any protocol over TCP or a unix socket), udp, signals, faults; a command (one run per input) gets args, stdin, files, env (available: ${STRATEGY_NAMES.join(', ')})`,
      'http',
    )
    .option(
      '--seeds <dir>',
      "more seed inputs: raw HTTP requests for http; for tcp and udp one session per file, its raw bytes as one message, or text starting with '# seccomplete session' (one message per line, \\r \\n \\xHH escapes); " +
        'for commands, invocation*.json files, *.args files (one argument list per line), and any other file as sample content (repeatable)',
      collect,
      [],
    )
    .option(
      '--dict <file>',
      "tcp/udp: more tokens for the mutators to insert, in AFL's dictionary format (name=\"value\" lines, \\xHH escapes); they add to those mined from the target binary, its libraries and the seeds (repeatable)",
      collectDict,
      [],
    )
    .option('--no-dict', 'tcp/udp: no dictionary at all: neither mined from the target and the seeds nor --dict (to measure what the dictionary brings)')
    .option('--grammar <file>', "commands: a JSON file that adds to or overrides the argument grammar mined from the program's --help and man page")
    .option('--no-sandbox', 'commands: run on the real file system instead of a mount namespace where only the run\'s own directory is writable (fuzzed arguments can then delete or overwrite any file you can write)')
    .option('--signals <list>', 'signals the signals strategy may send, comma-separated (default: all of HUP,USR1,USR2,WINCH,TERM,QUIT,INT,CHLD and worker kills; a list without KILL also drops the worker kills)')
    .option('--settle <duration>', 'an execution ends when the target made no traced syscall for this long and all its threads sleep', '10ms')
    .option('--exec-timeout <duration>', 'a delivery that takes longer is recorded as a hang', '5s')
    .option('--strace <path>', 'the strace binary', process.env.SECCOMPLETE_STRACE ?? 'strace')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'no progress output');
}

export function durationOption(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw usageError(`${name} expects a duration like 500ms, 30s, 5m or 2h; got '${text}'`);
  return ms;
}

export function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} expects a positive whole number; got '${text}'`);
  return n;
}

/** The strategies named by --strategies decide whether the target is a server or a command. */
export function targetKindFrom(o: TargetCliOptions): TargetKind {
  return targetKindOfStrategies(strategyNames(o));
}

function strategyNames(o: TargetCliOptions): string[] {
  return o.strategies.split(',').map((s) => s.trim()).filter(Boolean);
}

export function targetSpecFrom(command: string[], o: TargetCliOptions, kind: TargetKind = targetKindFrom(o)): TargetSpec {
  if (command.length === 0) throw usageError('no target command given', "put it after '--', e.g. seccomplete fuzz -- node server.js --port {port}");
  assertCommandExists(command[0] as string);
  if (kind === 'command') {
    if (o.template.length > 0 || o.ready !== undefined || o.port !== 'auto' || o.endpoint.length > 0) {
      throw usageError('--port, --ready, --template and --endpoint are for servers; a command runs once per input');
    }
    return { kind: 'command', command, env: envFrom(o), sampleDirs: [...o.seeds.map((d) => path.resolve(d)), SAMPLE_DIR], sandbox: o.sandbox !== false };
  }
  if (o.sandbox === false) throw usageError('--no-sandbox is for commands; a server runs as started, on the real file system');
  return serverSpecFrom(command, o);
}

function envFrom(o: TargetCliOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of o.env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usageError(`--env expects KEY=VALUE; got '${kv}'`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

function serverSpecFrom(command: string[], o: TargetCliOptions): ServerTargetSpec {
  let port: ServerTargetSpec['port'];
  if (o.port === 'auto') port = 'auto';
  else {
    const n = Number(o.port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw usageError(`--port expects 'auto' or a port number; got '${o.port}'`);
    port = n;
  }
  const env = envFrom(o);
  const endpoints = o.endpoint.map(parseEndpointOption);
  checkStrategyEndpoints(strategyNames(o), endpoints);
  portsNeeded(command); // a typo such as {port100} is a usage error now, not a failed start later
  const usesPort = usesPortPlaceholder(command) || o.template.length > 0 || port !== 'auto';
  return {
    kind: 'server',
    command,
    port,
    ready: parseReadyOption(o.ready, usesPort, endpoints),
    readyTimeoutMs: durationOption('--ready-timeout', o.readyTimeout),
    templates: o.template.map(parseTemplateOption).map((t) => ({ ...t, source: path.resolve(t.source) })),
    env,
    endpoints,
  };
}

/** The enabled strategies; a command's are built from the grammar mined from the program itself. */
export async function strategiesFrom(
  o: TargetCliOptions,
  target: TargetSpec,
): Promise<{ strategies: AnyStrategy[]; knowledge: ReturnType<typeof mutableKnowledge> }> {
  const knowledge = mutableKnowledge();
  const options: Parameters<typeof createStrategies>[1] = { seedDirs: o.seeds.map((d) => path.resolve(d)), knowledge, warn: warner(o.quiet) };
  if (o.signals) options.signals = o.signals.split(',').map((s) => s.trim()).filter(Boolean);
  const names = strategyNames(o);
  const dictFiles = o.dict === false ? [] : (o.dict ?? []);
  if (dictFiles.length > 0 && !names.some((n) => n === 'tcp' || n === 'udp')) throw usageError('--dict is for the tcp and udp strategies', 'e.g. --strategies tcp --dict protocol.dict');
  options.dictFiles = dictFiles.map((f) => path.resolve(f));
  options.dictionary = o.dict !== false;
  if (target.kind === 'command') {
    options.command = { program: target.command[0] as string, fixedArgs: target.command.slice(1), sampleDirs: target.sampleDirs, sandbox: target.sandbox };
    if (o.grammar) options.command.grammarFile = path.resolve(o.grammar);
  } else {
    if (o.grammar) throw usageError('--grammar is for commands (--strategies args,...)');
    options.serverCommand = target.command;
  }
  return { strategies: await createStrategies(names, options), knowledge };
}

export async function straceFrom(o: TargetCliOptions): Promise<string> {
  await checkStrace(o.strace);
  return o.strace;
}

export function timingFrom(o: TargetCliOptions) {
  const settleMs = durationOption('--settle', o.settle);
  return { settleMs, maxSettleMs: Math.max(1000, settleMs * 20), execTimeoutMs: durationOption('--exec-timeout', o.execTimeout) };
}

export function warner(quiet: boolean | undefined, beforeWrite?: () => void) {
  return (message: string) => {
    if (quiet) return;
    beforeWrite?.();
    process.stderr.write(`seccomplete: warning: ${message}\n`);
  };
}

export { Option };
